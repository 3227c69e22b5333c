"""Devices with their health status (docs/api.md §2) and a device's metrics (§8)."""
from __future__ import annotations

import uuid

from sqlalchemy import Row, select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import Device, DeviceMonitoring, Metric, User
from monitoring.pagination import paginate
from monitoring.services import filter_choices
from monitoring.tenancy import manages, scoped


def list_page(*, user: User, page=None, page_size=None, organization: uuid.UUID | None = None,
              organization_slug: str | None = None, monitoring__status: str | None = None,
              maintenance: bool | None = None) -> dict:
    """One page of the devices of the organizations ``user`` manages (every device for a
    superuser), by name."""
    statement = scoped(
        select(Device).join(DeviceMonitoring, DeviceMonitoring.device_id == Device.id), Device.organization_id, user
    )
    statement = filter_choices.by_organization(statement, Device.organization_id, user=user,
                                               organization=organization, organization_slug=organization_slug)
    if monitoring__status is not None:
        statement = statement.where(DeviceMonitoring.status == monitoring__status)
    if maintenance is not None:
        statement = statement.where(DeviceMonitoring.in_maintenance.is_(maintenance))
    return paginate(statement.order_by(Device.name, Device.id), page=page, page_size=page_size)


def metrics(*, user: User, device_id: uuid.UUID, is_healthy: bool | None = None) -> list[Row]:
    """The device's metrics (``name``, ``key``, ``is_healthy``); 404 for a device the user
    does not manage, as for a missing one."""
    device = db.session.get(Device, device_id)
    if device is None or not manages(user, device.organization_id):
        errors.not_found()
    statement = select(Metric.id, Metric.name, Metric.key, Metric.is_healthy).where(Metric.device_id == device_id)
    if is_healthy is not None:
        statement = statement.where(Metric.is_healthy.is_(is_healthy))
    return list(db.session.execute(statement.order_by(Metric.name, Metric.id)))
