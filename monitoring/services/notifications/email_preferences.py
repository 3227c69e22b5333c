"""Each user's choice of e-mails per organization: ``none``, ``every`` notification, or a
``digest`` (the default, without a choice). A user chooses for the organizations they
belong to (a superuser: any); another organization is missing (404)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import EmailPreference, Organization, OrganizationUser, User, utcnow
from monitoring.pagination import paginate

DEFAULT_MODE = "digest"  # as the outbox trigger of migration 0019 assumes


@dataclass(frozen=True)
class Choice:
    organization_id: uuid.UUID
    organization_name: str
    mode: str
    is_default: bool


def _organizations(user: User):
    """The organizations ``user`` chooses for, with their choice (null: none made)."""
    statement = (select(Organization.id, Organization.name, EmailPreference.mode)
                 .outerjoin(EmailPreference, and_(EmailPreference.organization_id == Organization.id,
                                                  EmailPreference.user_id == user.id)))
    if not user.is_superuser:
        statement = statement.where(Organization.id.in_(
            select(OrganizationUser.organization_id).where(OrganizationUser.user_id == user.id)))
    return statement


def _choice(row) -> Choice:
    organization_id, name, mode = row
    return Choice(organization_id, name, mode or DEFAULT_MODE, mode is None)


def list_page(*, user: User, page=None, page_size=None) -> dict:
    """The user's choice for each organization they belong to, by organization name."""
    result = paginate(_organizations(user).order_by(Organization.name, Organization.id), page=page,
                      page_size=page_size, scalars=False)
    result["results"] = [_choice(row) for row in result["results"]]
    return result


def get(*, user: User, organization_id: uuid.UUID) -> Choice:
    row = db.session.execute(_organizations(user).where(Organization.id == organization_id)).first()
    if row is None:
        errors.not_found("Organization")
    return _choice(row)


def choose(*, user: User, organization_id: uuid.UUID, mode: str) -> Choice:
    """Set the user's choice for the organization; it applies to the notifications written
    from now on."""
    get(user=user, organization_id=organization_id)
    preference = db.session.get(EmailPreference, (user.id, organization_id)) or EmailPreference(
        user_id=user.id, organization_id=organization_id)
    preference.mode = mode
    preference.modified = utcnow()
    db.session.add(preference)
    db.session.commit()
    return get(user=user, organization_id=organization_id)
