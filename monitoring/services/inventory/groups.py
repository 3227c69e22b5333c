"""Device groups of an organization."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import DeviceGroup, User
from monitoring.pagination import paginate
from monitoring.services.common import apply, check_organization, commit, get_managed
from monitoring.tenancy import scoped

LABEL = "DeviceGroup"
DUPLICATE = {"name": ["A device group with this name already exists in the organization."]}


def list_page(*, user: User, page=None, page_size=None, organization=None) -> dict:
    statement = scoped(select(DeviceGroup), DeviceGroup.organization_id, user)
    if organization is not None:
        statement = statement.where(DeviceGroup.organization_id == organization)
    return paginate(statement.order_by(DeviceGroup.name, DeviceGroup.id), page=page, page_size=page_size)


def get(*, user: User, group_id: uuid.UUID) -> DeviceGroup:
    return get_managed(DeviceGroup, group_id, user=user, label=LABEL)


def _check_name_free(organization_id, name, *, exclude=None) -> None:
    statement = select(DeviceGroup.id).where(
        DeviceGroup.organization_id == organization_id, DeviceGroup.name == name
    )
    if exclude is not None:
        statement = statement.where(DeviceGroup.id != exclude)
    if db.session.execute(statement).first():
        errors.invalid(DUPLICATE)


def create(*, user: User, data: dict) -> DeviceGroup:
    check_organization(data["organization_id"], user=user)
    _check_name_free(data["organization_id"], data["name"])
    group = DeviceGroup(**data)
    db.session.add(group)
    commit(DUPLICATE)
    return group


def update(*, user: User, group_id: uuid.UUID, data: dict) -> DeviceGroup:
    group = get(user=user, group_id=group_id)
    organization_id = data.get("organization_id", group.organization_id)
    if organization_id != group.organization_id:
        # Its devices would end up grouped across tenants.
        errors.invalid({"organization": ["The organization of a group cannot be changed."]})
    _check_name_free(organization_id, data.get("name", group.name), exclude=group.id)
    apply(group, data)
    commit(DUPLICATE)
    return group


def delete(*, user: User, group_id: uuid.UUID) -> None:
    group = get(user=user, group_id=group_id)
    db.session.delete(group)
    db.session.commit()
