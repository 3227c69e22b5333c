"""Devices: registration, changes, deactivation and where they are."""
from __future__ import annotations

import math
import secrets
import uuid

from sqlalchemy import or_, select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import Device, DeviceGroup, DeviceLocation, DeviceMonitoring, FloorPlan, Location, User
from monitoring.pagination import paginate
from monitoring.services.checks import checks
from monitoring.services.common import (
    apply,
    check_organization,
    commit,
    contains_pattern,
    get_managed,
    related_in_organization,
)
from monitoring.services.health import status_changes
from monitoring.tenancy import scoped

LABEL = "Device"
DUPLICATE = {"non_field_errors": ["A device with this name, MAC address or key already exists."]}
# The one answer to every refused key (malformed, too short, or another device's, whichever
# tenant it belongs to): which keys exist is no one's business.
INVALID_KEY = "Enter a key of 16 to 64 letters and digits that no other device uses."


def generate_key() -> str:
    return secrets.token_hex(16)


def list_page(*, user: User, page=None, page_size=None, organization=None, group=None, search=None) -> dict:
    statement = scoped(select(Device), Device.organization_id, user)
    if organization is not None:
        statement = statement.where(Device.organization_id == organization)
    if group is not None:
        statement = statement.where(Device.group_id == group)
    if search:
        pattern = contains_pattern(search)
        statement = statement.where(or_(Device.name.ilike(pattern), Device.mac_address.ilike(pattern)))
    return paginate(statement.order_by(Device.name, Device.id), page=page, page_size=page_size)


def get(*, user: User, device_id: uuid.UUID) -> Device:
    return get_managed(Device, device_id, user=user, label=LABEL)


def _check_unique(organization_id, *, name=None, mac_address=None, key=None, exclude=None) -> None:
    """Name and MAC are unique within an organization, the key across all of them."""
    checks = []
    if name is not None:
        checks.append(("name", Device.name == name, Device.organization_id == organization_id,
                       "A device with this name already exists in the organization."))
    if mac_address is not None:
        checks.append(("mac_address", Device.mac_address == mac_address, Device.organization_id == organization_id,
                       "A device with this MAC address already exists in the organization."))
    if key is not None:
        # Across every organization, answered as any invalid key is: nothing tells that
        # another tenant's device has it.
        checks.append(("key", Device.key == key, True, INVALID_KEY))
    problems = {}
    for field, condition, scope, message in checks:
        statement = select(Device.id).where(condition, scope)
        if exclude is not None:
            statement = statement.where(Device.id != exclude)
        if db.session.execute(statement).first():
            problems[field] = [message]
    if problems:
        errors.invalid(problems)


def create(*, user: User, data: dict) -> Device:
    organization = check_organization(data["organization_id"], user=user)
    related_in_organization(DeviceGroup, data.get("group_id"), organization_id=organization.id, field="group")
    data = dict(data)
    data["key"] = data.get("key") or generate_key()
    _check_unique(organization.id, name=data["name"], mac_address=data["mac_address"], key=data["key"])
    device = Device(**data)
    device.monitoring = DeviceMonitoring(status="unknown")
    db.session.add(device)
    commit(DUPLICATE)
    # Its own transaction: should it fail, the worker creates them (checks_created is false).
    checks.create_automatic(db.session, device_ids=[device.id])
    db.session.commit()
    return device


def update(*, user: User, device_id: uuid.UUID, data: dict) -> Device:
    device = get(user=user, device_id=device_id)
    organization_id = data.get("organization_id", device.organization_id)
    if organization_id != device.organization_id:
        check_organization(organization_id, user=user)
        # Its location belongs to the old organization: the device leaves it.
        stale_location = db.session.get(DeviceLocation, device.id)
        if stale_location is not None:
            db.session.delete(stale_location)
    group_id = data.get("group_id", device.group_id)
    related_in_organization(DeviceGroup, group_id, organization_id=organization_id, field="group")
    _check_unique(
        organization_id,
        name=data.get("name", device.name),
        mac_address=data.get("mac_address", device.mac_address),
        key=data.get("key"),
        exclude=device.id,
    )
    if not data.get("key", True):
        data.pop("key")
    apply(device, data)
    commit(DUPLICATE)
    return device


def set_deactivated(*, user: User, device_id: uuid.UUID, deactivated: bool) -> Device:
    """A deactivated device rejects data and shows status ``deactivated``; activating it
    again starts from ``unknown`` until its next healthy sample."""
    device = get(user=user, device_id=device_id)
    if device.is_deactivated != deactivated:
        device.is_deactivated = deactivated
        device.monitoring.status = "deactivated" if deactivated else "unknown"
        if not deactivated:
            # Back from deactivation nothing is known: health starts afresh.
            status_changes.reset_metrics(db.session, device_ids=[device.id])
        db.session.commit()
    return device


def delete(*, user: User, device_id: uuid.UUID) -> None:
    device = get(user=user, device_id=device_id)
    if not device.is_deactivated:
        errors.forbidden("Only a deactivated device can be deleted: deactivate it first.")
    db.session.delete(device)
    db.session.commit()


# --- where a device is ---------------------------------------------------------------

def get_location(*, user: User, device_id: uuid.UUID) -> DeviceLocation:
    device = get(user=user, device_id=device_id)
    device_location = db.session.get(DeviceLocation, device.id)
    if device_location is None:
        errors.not_found("DeviceLocation")
    return device_location


def _parse_indoor(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    parts = value.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        if not all(math.isfinite(float(p)) for p in parts):
            raise ValueError
    except ValueError:
        errors.invalid({"indoor": ['Enter the position on the floorplan as "<y>,<x>", e.g. "-140.38,40.5".']})
    return f"{parts[0].strip()},{parts[1].strip()}"


def set_location(*, user: User, device_id: uuid.UUID, data: dict) -> DeviceLocation:
    device = get(user=user, device_id=device_id)
    location = related_in_organization(
        Location, data["location_id"], organization_id=device.organization_id, field="location"
    )
    floorplan = related_in_organization(
        FloorPlan, data.get("floorplan_id"), organization_id=device.organization_id, field="floorplan"
    )
    if floorplan is not None and floorplan.location_id != location.id:
        errors.invalid({"floorplan": ["The floorplan belongs to another location."]})
    indoor = _parse_indoor(data.get("indoor"))
    device_location = db.session.get(DeviceLocation, device.id) or DeviceLocation(device_id=device.id)
    device_location.location_id = location.id
    device_location.floorplan_id = floorplan.id if floorplan else None
    device_location.indoor = indoor
    db.session.add(device_location)
    db.session.commit()
    return device_location


def delete_location(*, user: User, device_id: uuid.UUID) -> None:
    device_location = get_location(user=user, device_id=device_id)
    db.session.delete(device_location)
    db.session.commit()
