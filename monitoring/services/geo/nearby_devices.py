"""Devices near a device (docs/api.md §5), nearest first, with their distance in metres.

Two ways in, both decided by the view (``monitoring/auth.py``): a device asking with its own
key (``located_device``, then the key) sees the devices of its organization only
(docs/api.md §15.1); a user sees the devices of the organizations they manage, near a
device they may see (docs/api.md §15.7).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Row, Select, func, select

from monitoring import errors, geo
from monitoring.extensions import db
from monitoring.models import Device, DeviceData, DeviceLocation, DeviceMonitoring, Location, Organization, User
from monitoring.pagination import paginate
from monitoring.services import filter_choices
from monitoring.tenancy import manages, scoped

NO_LOCATION = "Location"


@dataclass(frozen=True)
class Reference:
    """The device whose neighbours are listed, where it is, and who asks."""

    device_id: uuid.UUID
    organization_id: uuid.UUID
    latitude: float | None
    longitude: float | None
    user: User | None = None  # None: the device itself, with its key


def _located(device_id: uuid.UUID, *, in_active_organization: bool = False) -> Row | None:
    statement = (
        select(Device.id, Device.key, Device.organization_id, Device.is_deactivated,
               Location.latitude, Location.longitude)
        .join(DeviceLocation, DeviceLocation.device_id == Device.id)
        .join(Location, Location.id == DeviceLocation.location_id)
        .where(Device.id == device_id)
    )
    if in_active_organization:
        statement = statement.join(Organization, Organization.id == Device.organization_id).where(
            Organization.is_active.is_(True))
    return db.session.execute(statement).one_or_none()


def located_device(device_id: uuid.UUID) -> Row | None:
    """The device with its key and its location's coordinates, if it has a location and its
    organization is active: what a device asking with its key is judged on."""
    return _located(device_id, in_active_organization=True)


def reference_for_device(*, device: Row) -> Reference:
    """Key mode: the device its key let in (a row of ``located_device``) asks."""
    return Reference(device.id, device.organization_id, device.latitude, device.longitude)


def reference_for_user(*, user: User, device_id: uuid.UUID) -> Reference:
    """User mode: a device of another tenant is as missing as one without a location."""
    row = _located(device_id)
    if row is None or not manages(user, row.organization_id):
        errors.not_found(NO_LOCATION)
    return Reference(device_id, row.organization_id, row.latitude, row.longitude, user=user)


def _candidates(reference: Reference, distance) -> Select:
    """Every other located device the caller may see, with what an item shows."""
    statement = (
        select(
            Device.id, Device.name, Device.organization_id, Device.group_id, Device.mac_address,
            Device.management_ip, Device.model, Device.os, Device.system, Device.notes,
            distance.label("distance"), DeviceMonitoring.status.label("monitoring_status"),
            DeviceData.data.label("monitoring_data"),
        )
        .select_from(Location)
        .join(DeviceLocation, DeviceLocation.location_id == Location.id)
        .join(Device, Device.id == DeviceLocation.device_id)
        .join(DeviceMonitoring, DeviceMonitoring.device_id == Device.id)
        .outerjoin(DeviceData, DeviceData.device_id == Device.id)
        .where(Device.id != reference.device_id)
    )
    if reference.user is None:
        return statement.where(Device.organization_id == reference.organization_id)
    return scoped(statement, Device.organization_id, reference.user)


def _check_organization_choice(reference: Reference, organization: uuid.UUID) -> None:
    if reference.user is None:
        if organization != reference.organization_id:
            filter_choices.reject("organization")
    else:
        filter_choices.check_organization(organization, user=reference.user)


def list_page(
    *,
    reference: Reference,
    page=None,
    page_size=None,
    organization: uuid.UUID | None = None,
    organization_slug: str | None = None,
    organization__slug: str | None = None,
    monitoring__status: str | None = None,
    model: str | None = None,
    distance__lte: float | None = None,
) -> dict:
    """One page of the other located devices, nearest first (``model``: names separated by
    ``|``; ``organization__slug`` is the documented spelling of ``organization_slug``)."""
    ref = reference
    distance = func.round(geo.distance_m(Location.latitude, Location.longitude, ref.latitude, ref.longitude))
    statement = _candidates(ref, distance)
    if organization is not None:
        _check_organization_choice(ref, organization)
        statement = statement.where(Device.organization_id == organization)
    for slug in (organization_slug, organization__slug):
        if slug is not None:
            statement = statement.where(filter_choices.in_organization_slug(Device.organization_id, slug))
    if monitoring__status is not None:
        statement = statement.where(DeviceMonitoring.status == monitoring__status)
    if model is not None:
        statement = statement.where(Device.model.in_(model.split("|")))

    located = ref.latitude is not None and ref.longitude is not None
    if distance__lte is not None:
        if not located:
            # Without a position no distance is known, and no unknown distance is <= anything.
            statement = statement.where(False)
        else:
            statement = statement.where(
                geo.within_box(Location.latitude, Location.longitude, to_latitude=ref.latitude,
                               to_longitude=ref.longitude, metres=distance__lte),
                distance <= distance__lte,
            )
    order = [Device.id]  # devices at the same distance (one location) page in a stable order
    if located:
        order.insert(0, geo.nearest_first(Location.latitude, Location.longitude,
                                          to_latitude=ref.latitude, to_longitude=ref.longitude))
    # Within a radius the rows are few: the page query counts them too (one query, not two).
    return paginate(statement.order_by(*order), page=page, page_size=page_size, scalars=False,
                    count_in_page=distance__lte is not None)
