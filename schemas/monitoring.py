"""Monitoring reads: chart parameters, the device detail with its charts, the dashboard, the
device list with health status and a device's metrics (docs/api.md §2, §3, §8, §10, §11)."""
from __future__ import annotations

from marshmallow import fields, post_dump

from monitoring.models import HEALTH_STATUSES
from schemas.common import BaseSchema, UTCDateTime
from schemas.filters import Choice, ChoiceUUID, FilterSchema, QueryBoolean
from schemas.validators import IPAddress

# --- query parameters -------------------------------------------------------------------


class ChartArgsSchema(FilterSchema):
    """Chart parameters. Kept as strings: the chart engine checks them, after access, in
    the reference's order and with its messages (a JSON list with one string)."""

    class Meta(FilterSchema.Meta):
        exclude = ("page", "page_size")

    time = fields.String(metadata={"description": "`Nd`, 1 ≤ N ≤ 365 (e.g. `1d`, `7d`, `30d`, `365d`); "
                                                  "default `7d`"})
    start = fields.String(metadata={"description": "custom range start, `YYYY-MM-DD HH:MM:SS` in `timezone` "
                                                   "(used only with `end`)"})
    end = fields.String(metadata={"description": "custom range end, `YYYY-MM-DD HH:MM:SS` in `timezone`, "
                                                 "included"})
    timezone = fields.String(metadata={"description": "IANA zone of buckets and labels, e.g. `Europe/Rome`; "
                                                      "default the server's"})
    csv = QueryBoolean(metadata={"description": "`true`: the charts as CSV (`text/csv`)"})


class DeviceDetailArgsSchema(ChartArgsSchema):
    key = fields.String(metadata={"description": "the device's key: read without user credentials"})
    status = QueryBoolean(metadata={"description": "`true`: add `data`, the latest NetJSON the device sent"})


class DashboardArgsSchema(ChartArgsSchema):
    organization_slug = fields.String(metadata={"description": "comma-separated organization slugs"})
    location_id = fields.String(metadata={"description": "comma-separated location ids"})
    floorplan_id = fields.String(metadata={"description": "comma-separated floorplan ids"})


class MonitoringDeviceFilterSchema(FilterSchema):
    organization = ChoiceUUID(metadata={"description": "organization id"})
    organization_slug = fields.String(metadata={"description": "organization slug"})
    monitoring__status = Choice(HEALTH_STATUSES, metadata={"description": "health status"})


class MetricFilterSchema(FilterSchema):
    class Meta(FilterSchema.Meta):
        exclude = ("page", "page_size")

    is_healthy = QueryBoolean(metadata={"description": "only healthy (`true`) or unhealthy (`false`) metrics"})


# --- responses --------------------------------------------------------------------------


class HealthStatusSchema(BaseSchema):
    status = fields.String()


class RelatedMetricSchema(BaseSchema):
    name = fields.String()
    is_healthy = fields.Boolean(allow_none=True)


class MonitoringDetailSchema(HealthStatusSchema):
    related_metrics = fields.List(fields.Nested(RelatedMetricSchema), metadata={"description": "ordered by name"})


class MonitoringDeviceSchema(BaseSchema):
    """A device with its health status (lists never show device keys)."""

    id = fields.UUID()
    name = fields.String()
    organization = fields.UUID(attribute="organization_id")
    group = fields.UUID(attribute="group_id", allow_none=True)
    mac_address = fields.String()
    last_ip = IPAddress(allow_none=True)
    management_ip = IPAddress(allow_none=True)
    model = fields.String()
    os = fields.String()
    system = fields.String()
    notes = fields.String()
    config = fields.Constant(None, metadata={"description": "always null: no configuration management"})
    monitoring = fields.Nested(HealthStatusSchema)
    created = UTCDateTime()
    modified = UTCDateTime()


class ChartSchema(BaseSchema):
    traces = fields.List(fields.Raw(), metadata={"description": "`[name, [value per x]]`, sorted by name"})
    summary = fields.Dict(metadata={"description": "per trace, over the whole window"})
    description = fields.String()
    title = fields.String()
    type = fields.String(metadata={"description": "`bar`, `scatter`, `stackedbar+lines`"})
    unit = fields.String(allow_none=True)
    summary_labels = fields.List(fields.String(), allow_none=True)
    colors = fields.List(fields.String(), allow_none=True)
    colorscale = fields.Dict(allow_none=True)
    fill = fields.String()
    xaxis = fields.Dict()
    yaxis = fields.Dict()
    trace_type = fields.Dict()
    trace_order = fields.List(fields.String())
    calculate_total = fields.Boolean()
    connect_points = fields.Boolean()
    trace_labels = fields.Dict()


class ChartsSchema(BaseSchema):
    charts = fields.List(fields.Nested(ChartSchema), metadata={"description": "charts with data, in display order"})
    x = fields.List(fields.String(), metadata={"description": "bucket starts (`YYYY-MM-DD HH:MM`, in `timezone`); "
                                                             "absent when no chart has data"})


class DeviceDetailSchema(MonitoringDeviceSchema, ChartsSchema):
    key = fields.String()
    monitoring = fields.Nested(MonitoringDetailSchema)
    data = fields.Dict(allow_none=True, metadata={"description": "with `status=true`: the latest NetJSON "
                                                                 "DeviceMonitoring sample, or null"})

    @post_dump(pass_original=True)
    def omit_absent(self, data, original, **kwargs):
        if original.x is None:
            data.pop("x", None)
        if not original.with_data:
            data.pop("data", None)
        return data


class OrganizationChoiceSchema(BaseSchema):
    id = fields.String(metadata={"description": "the organization's slug"})
    text = fields.String(metadata={"description": "the organization's name"})


class DashboardSchema(ChartsSchema):
    organizations = fields.List(fields.Nested(OrganizationChoiceSchema),
                                metadata={"description": "present when the user may choose among several"})


class MetricSchema(BaseSchema):
    id = fields.UUID()
    name = fields.String()
    key = fields.String()
    is_healthy = fields.Boolean(allow_none=True)
