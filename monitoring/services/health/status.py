"""Devices with their health status (docs/api.md §2) and a device's metrics (§8)."""
from __future__ import annotations

import uuid

from sqlalchemy import Row, func, select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import HEALTH_STATUSES, Device, DeviceLocation, DeviceMonitoring, Metric, User
from monitoring.pagination import paginate
from monitoring.services import filter_choices
from monitoring.tenancy import manages, scoped


def list_page(*, user: User, page=None, page_size=None, organization: uuid.UUID | None = None,
              organization_slug: str | None = None, monitoring__status: str | None = None,
              maintenance: bool | None = None, problem: list[str] | None = None) -> dict:
    """One page of the devices of the organizations ``user`` manages (every device for a
    superuser), by name."""
    statement = scoped(
        select(Device).join(DeviceMonitoring, DeviceMonitoring.device_id == Device.id), Device.organization_id, user
    )
    statement = filter_choices.by_organization(statement, Device.organization_id, user=user,
                                               organization=organization, organization_slug=organization_slug)
    if monitoring__status is not None:
        statement = statement.where(DeviceMonitoring.status == monitoring__status)
    if problem:
        statement = statement.where(DeviceMonitoring.status.in_(PROBLEM_STATUSES), Device.id.in_(
            select(Metric.device_id).where(Metric.is_healthy.is_(False), Metric.key.in_(problem))))
    if maintenance is not None:
        statement = statement.where(DeviceMonitoring.in_maintenance.is_(maintenance))
    return paginate(statement.order_by(Device.name, Device.id), page=page, page_size=page_size)


PROBLEM_STATUSES = ("problem", "critical")


def device_counts(*, organization_ids: tuple[uuid.UUID, ...] | None, location_ids: tuple[uuid.UUID, ...] | None = None,
                  floorplan_ids: tuple[uuid.UUID, ...] | None = None) -> dict:
    """Devices by status (every status, 0 included) and by problem: for each metric key, the
    devices in problem or critical with that metric unhealthy (a device with two counts in
    both). ``None``: no restriction on that."""
    in_scope = select(Device.id)
    if organization_ids is not None:
        in_scope = in_scope.where(Device.organization_id.in_(organization_ids))
    if location_ids is not None or floorplan_ids is not None:
        in_scope = in_scope.join(DeviceLocation, DeviceLocation.device_id == Device.id)
        if location_ids is not None:
            in_scope = in_scope.where(DeviceLocation.location_id.in_(location_ids))
        if floorplan_ids is not None:
            in_scope = in_scope.where(DeviceLocation.floorplan_id.in_(floorplan_ids))
    by_status = dict(db.session.execute(
        select(DeviceMonitoring.status, func.count()).where(DeviceMonitoring.device_id.in_(in_scope))
        .group_by(DeviceMonitoring.status)).all())
    by_problem = db.session.execute(
        select(Metric.key, func.count(func.distinct(Metric.device_id)))
        .join(DeviceMonitoring, DeviceMonitoring.device_id == Metric.device_id)
        .where(Metric.is_healthy.is_(False), DeviceMonitoring.status.in_(PROBLEM_STATUSES),
               Metric.device_id.in_(in_scope))
        .group_by(Metric.key).order_by(Metric.key)).all()
    return {"by_status": {status: by_status.get(status, 0) for status in HEALTH_STATUSES},
            "by_problem": dict(by_problem)}


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
