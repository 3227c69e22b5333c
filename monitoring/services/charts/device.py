"""A device's monitoring detail (docs/api.md §3): the device, its health status and
metrics, its charts and, on request, its latest data.

Who may read it is decided by the view before anything here runs (``monitoring/auth.py``):
a device with its key (``find_device``, then the key), or a manager (``device_for_user``),
on every request (docs/api.md §15.1: no cached bypass).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import Chart, Device, DeviceData, Metric, Organization, User
from monitoring.registry import CHARTS
from monitoring.services.charts.builder import ChartRequest, ChartSet, build_charts
from monitoring.tenancy import manages
from monitoring.timeseries.chart_queries import SeriesFilter, Window

NOT_FOUND_MODEL = "DeviceData"  # the reference's wording: its view serves the device's data


def find_device(device_id: uuid.UUID) -> Device | None:
    """The device, deactivated or not, if it exists in an active organization."""
    return db.session.execute(
        select(Device).join(Organization, Organization.id == Device.organization_id)
        .where(Device.id == device_id, Organization.is_active.is_(True))
    ).scalar_one_or_none()


def device_for_user(*, user: User, device_id: uuid.UUID) -> Device:
    """A device of an organization ``user`` manages: 404 if there is no such device in an
    active organization, 403 if it is another organization's (as the reference answers)."""
    device = find_device(device_id)
    if device is None:
        errors.not_found(NOT_FOUND_MODEL)
    if not manages(user, device.organization_id):
        errors.forbidden(errors.NOT_MANAGER)
    return device


@dataclass
class DeviceReport:
    """What the device detail shows; the device's own attributes are read through."""

    device: Device
    monitoring: dict
    charts: list[dict] = field(default_factory=list)
    x: list[str] | None = None
    data: dict | None = None
    with_data: bool = False

    def __getattr__(self, name: str):
        if name == "device":  # not set yet: no recursion
            raise AttributeError(name)
        return getattr(self.device, name)


def _metric_charts(device_id: uuid.UUID) -> list:
    """The device's metrics, one row per chart (a metric without charts: one row with a
    null configuration): what the detail lists and which charts it draws, in one query."""
    return db.session.execute(
        select(Metric.id, Metric.name, Metric.is_healthy, Metric.ifname, Chart.configuration)
        .outerjoin(Chart, Chart.metric_id == Metric.id)
        .where(Metric.device_id == device_id)
    ).all()


def _chart_requests(device_id: uuid.UUID, rows: list) -> list[ChartRequest]:
    """The charts of the device's metrics. Interface charts read their interface's points;
    the others (the mobile signal ones included) all of the device's."""
    requests = []
    for row in rows:
        if row.configuration is None:
            continue
        config = CHARTS.get(row.configuration)
        if config is None or config.per_interface:
            requests.append(ChartRequest(row.configuration, SeriesFilter(device_id=device_id, ifname=row.ifname),
                                         tags=(("ifname", row.ifname),)))
        else:
            # The same chart for every interface (two modems, one signal chart): drawn once.
            requests.append(ChartRequest(row.configuration, SeriesFilter(device_id=device_id)))
    return requests


def chart_requests(device_id: uuid.UUID) -> list[ChartRequest]:
    return _chart_requests(device_id, _metric_charts(device_id))


def device_charts(*, device: Device, window: Window) -> ChartSet:
    return build_charts(chart_requests(device.id), window=window)


def report(*, device: Device, window: Window, with_data: bool) -> DeviceReport:
    """The device with its status, metrics (ordered by name), charts and, when asked, the
    latest NetJSON snapshot (null if it never sent one)."""
    rows = _metric_charts(device.id)
    metrics = {row.id: row for row in rows}  # each metric once, whatever its charts
    related = [{"name": row.name, "is_healthy": row.is_healthy}
               for row in sorted(metrics.values(), key=lambda row: row.name)]
    chart_set = build_charts(_chart_requests(device.id, rows), window=window)
    result = DeviceReport(
        device=device,
        monitoring={"status": device.monitoring.status, "in_maintenance": device.monitoring.in_maintenance,
                    "problems": device.monitoring.problems, "related_metrics": related},
        charts=chart_set.charts,
        x=chart_set.x,
        with_data=with_data,
    )
    if with_data:
        result.data = db.session.execute(
            select(DeviceData.data).where(DeviceData.device_id == device.id)
        ).scalar_one_or_none()
    return result
