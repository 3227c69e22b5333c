"""Organizations: superusers create and delete them; their managers may edit them."""
from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy import select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import FloorPlan, Organization, User
from monitoring.pagination import paginate
from monitoring.services.common import apply, commit
from monitoring.services.health import status_changes
from monitoring.services.inventory.floorplans import remove_image
from monitoring.tenancy import manages, scoped

LABEL = "Organization"


def slugify(name: str) -> str:
    """An ASCII slug, as an explicitly given one must be: 'Café Zürich' -> 'cafe-zurich'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^\w\s-]", "", ascii_name.lower())
    return re.sub(r"[-\s]+", "-", slug).strip("-_") or uuid.uuid4().hex[:8]


def list_page(*, user: User, page=None, page_size=None, is_active=None) -> dict:
    statement = scoped(select(Organization), Organization.id, user).order_by(Organization.name, Organization.id)
    if is_active is not None:
        statement = statement.where(Organization.is_active.is_(is_active))
    return paginate(statement, page=page, page_size=page_size)


def get(*, user: User, organization_id: uuid.UUID) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None or not manages(user, organization.id):
        errors.not_found(LABEL)
    return organization


def _check_slug_free(slug: str, *, exclude: uuid.UUID | None = None) -> None:
    statement = select(Organization.id).where(Organization.slug == slug)
    if exclude is not None:
        statement = statement.where(Organization.id != exclude)
    if db.session.execute(statement).first():
        errors.invalid({"slug": ["organization with this slug already exists."]})


def create(*, user: User, data: dict) -> Organization:
    if not user.is_superuser:
        errors.forbidden()
    data = dict(data)
    data["slug"] = data.get("slug") or slugify(data["name"])
    data["description"] = data.get("description") or ""
    _check_slug_free(data["slug"])
    organization = Organization(**data)
    db.session.add(organization)
    commit({"slug": ["organization with this slug already exists."]})
    return organization


def update(*, user: User, organization_id: uuid.UUID, data: dict) -> Organization:
    organization = get(user=user, organization_id=organization_id)
    if "slug" in data and data["slug"] != organization.slug:
        # Slugs are unique across tenants: a manager choosing one would learn from the
        # answer which slugs the other organizations have.
        if not user.is_superuser:
            errors.forbidden("Only superusers can change an organization's slug.")
        _check_slug_free(data["slug"], exclude=organization.id)
    if data.get("description") is None:
        data.pop("description", None)
    if organization.is_active and data.get("is_active") is False:
        status_changes.organization_disabled(db.session, organization_id=organization.id)
    apply(organization, data)
    commit({"slug": ["organization with this slug already exists."]})
    return organization


def delete(*, user: User, organization_id: uuid.UUID) -> None:
    organization = get(user=user, organization_id=organization_id)
    if not user.is_superuser:
        errors.forbidden()
    images = db.session.scalars(
        select(FloorPlan.image).where(FloorPlan.organization_id == organization.id, FloorPlan.image.is_not(None))
    ).all()
    db.session.delete(organization)
    db.session.commit()
    for image in images:  # files go only once the rows are gone for good
        remove_image(image)

