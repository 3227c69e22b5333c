"""Availability reports: ``/api/v1/monitoring/availability/`` and
``/api/v1/monitoring/device/{pk}/availability/``."""
from __future__ import annotations

from blueprints.chart_export import CSV_SCHEMA, csv_response
from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from monitoring.services.availability import reports
from monitoring.services.charts import window as chart_window
from schemas.availability import (
    AvailabilityArgsSchema,
    AvailabilityReportSchema,
    DeviceAvailabilityArgsSchema,
    DeviceAvailabilityReportSchema,
)
from schemas.common import ErrorSchema

blp = Blueprint(
    "availability", __name__, url_prefix="/api/v1/monitoring",
    description="How available devices were over a period (SLA reports): per device the share of the "
    "monitored time up, outages with their cause, MTBF and MTTR; per organization, group and location the "
    "time-weighted aggregate. Judged from the ping and data-collected checks in five-minute slots "
    "(docs/availability.md).",
)

RANGE_ERROR = 'Invalid range parameter: a JSON list with one message, e.g. `["Time range not supported"]`'


@blp.route("/availability/", methods=["GET"])
@manager_required
@blp.arguments(AvailabilityArgsSchema, location="query")
@blp.response(200, AvailabilityReportSchema)
@blp.alt_response(200, schema=CSV_SCHEMA, content_type="text/csv",
                  description="JSON; with `csv=true` every selected device as CSV")
@blp.alt_response(400, description=RANGE_ERROR + ", or a filter naming nothing the user may choose")
def get_availability(args):
    """Read the availability of devices

    Devices of the organizations the user manages (filtered), one page of them with their
    outages, and the aggregates over every selected device: `summary`, `organizations`,
    `groups`, `locations`. The range parameters are the charts' (`time` or `start`/`end`,
    `timezone`; default `7d`).
    """
    window = chart_window.window_from(args)
    filters = {name: args.get(name) for name in ("organization", "organization_slug", "group", "location", "device")}
    user = authenticated_user()
    if args.get("csv"):
        return csv_response(reports.devices_csv(reports.device_reports(user=user, window=window, **filters)))
    return reports.report(user=user, window=window, page=args.get("page"), page_size=args.get("page_size"),
                          **filters)


@blp.route("/device/<uuid:pk>/availability/", methods=["GET"])
@manager_required
@blp.arguments(DeviceAvailabilityArgsSchema, location="query")
@blp.response(200, DeviceAvailabilityReportSchema)
@blp.alt_response(200, schema=CSV_SCHEMA, content_type="text/csv",
                  description="JSON; with `csv=true` the device's outages as CSV")
@blp.alt_response(400, description=RANGE_ERROR)
@blp.alt_response(404, schema=ErrorSchema, description="Unknown device, or one of another organization")
def get_device_availability(args, pk):
    """Read the availability of a device

    The share of the period the device was up, its outages (start, end, duration, cause),
    MTBF and MTTR.
    """
    window = chart_window.window_from(args)
    item = reports.device_report(user=authenticated_user(), device_id=pk, window=window)
    if args.get("csv"):
        return csv_response(reports.outages_csv(item))
    return {"start": window.start, "end": window.end, "device": item.device, "location": item.location,
            "tally": item.tally}
