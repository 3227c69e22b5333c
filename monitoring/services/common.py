"""Helpers every management service uses: tenancy-checked lookups and saving."""
from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import Organization, User
from monitoring.tenancy import manages

Model = TypeVar("Model")


def get_managed(model: type[Model], object_id: uuid.UUID, *, user: User, label: str | None) -> Model:
    """The object if it exists in an organization ``user`` manages, else 404.

    Objects of other organizations are indistinguishable from missing ones.
    """
    obj = db.session.get(model, object_id)
    if obj is None or not manages(user, obj.organization_id):
        errors.not_found(label)
    return obj


def invalid_pk(field: str, value) -> dict:
    return {field: [f'Invalid pk "{value}" - object does not exist.']}


def check_organization(organization_id: uuid.UUID, *, user: User, field: str = "organization") -> Organization:
    """The organization a new or changed object goes to: must exist and be managed by ``user``."""
    organization = db.session.get(Organization, organization_id)
    if organization is None or not manages(user, organization.id):
        errors.invalid(invalid_pk(field, organization_id))
    return organization


def related_in_organization(model: type[Model], object_id, *, organization_id, field: str) -> Model | None:
    """A related object (group, location, floorplan) that must belong to the same organization."""
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None or obj.organization_id != organization_id:
        errors.invalid(invalid_pk(field, object_id))
    return obj


def contains_pattern(text: str) -> str:
    """An ILIKE pattern matching ``text`` anywhere, its wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def apply(obj, data: dict) -> None:
    for name, value in data.items():
        setattr(obj, name, value)


def commit(unique_message: dict | None = None) -> None:
    """Commit; a uniqueness race lost to another request becomes a 400, not a 500."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        errors.invalid(unique_message or {"non_field_errors": ["The object conflicts with an existing one."]})


def delete(obj) -> None:
    db.session.delete(obj)
    db.session.commit()
