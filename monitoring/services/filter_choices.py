"""Filter values that name an object (``organization``, ``device``, ``device__group``): the
caller may only choose objects of organizations they manage. Anything else, existing or
not, is the same 400 "Select a valid choice", so a filter never reveals another tenant."""
from __future__ import annotations

import uuid
from typing import NoReturn

from sqlalchemy import select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import Organization, User
from monitoring.tenancy import managed_organization_ids, manages


def reject(field: str) -> NoReturn:
    errors.invalid({field: [errors.INVALID_CHOICE]})


def check_organization(organization_id: uuid.UUID, *, user: User, field: str = "organization") -> None:
    """A managed organization; for a superuser, any existing one."""
    managed = managed_organization_ids(user)
    if managed is None:
        if db.session.get(Organization, organization_id) is None:
            reject(field)
    elif organization_id not in managed:
        reject(field)


def by_organization(statement, column, *, user: User, organization: uuid.UUID | None,
                    organization_slug: str | None):
    """``statement`` restricted by the ``organization`` (a choice checked as above) and
    ``organization_slug`` filters on ``column``, the organization of its rows."""
    if organization is not None:
        check_organization(organization, user=user)
        statement = statement.where(column == organization)
    if organization_slug is not None:
        statement = statement.where(in_organization_slug(column, organization_slug))
    return statement


def in_organization_slug(column, slug: str):
    """The condition that ``column`` is the id of the organization with this slug."""
    return column.in_(select(Organization.id).where(Organization.slug == slug))


def check_owned(model, object_id: uuid.UUID, *, user: User, field: str) -> None:
    """An object (device, group) of a managed organization."""
    organization_id = db.session.execute(
        select(model.organization_id).where(model.id == object_id)
    ).scalar_one_or_none()
    if organization_id is None or not manages(user, organization_id):
        reject(field)
