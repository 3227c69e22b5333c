"""The device monitoring resource: a device's sample POST (its query and the outline of its
body), the device detail with its charts, the device list with health status and a
device's metrics (docs/api.md §2, §3, §4, §8)."""
from __future__ import annotations

from marshmallow import fields, post_dump

from monitoring.models import HEALTH_STATUSES
from monitoring.registry import METRICS
from monitoring.services.health import judging
from schemas.charts import ChartArgsSchema, ChartsSchema
from schemas.common import BaseSchema, UTCDateTime
from schemas.filters import Choice, ChoiceList, ChoiceUUID, FilterSchema, QueryBoolean
from schemas.validators import IPAddress

# --- query parameters -------------------------------------------------------------------

# The metrics that can be unhealthy: those with alert settings.
PROBLEM_KEYS = tuple(config.key for config in METRICS.values() if config.alert is not None)


class DeviceDataArgsSchema(BaseSchema):
    """Query parameters of a device sample POST. Kept as strings: their errors are reported
    after the body's, in the reference's order."""

    key = fields.String(metadata={"description": "the device's key (required)"})
    time = fields.String(
        metadata={"description": "sample time in UTC, `DD-MM-YYYY_HH:MM:SS.ffffff` "
                  "(e.g. `21-08-2024_14:03:05.123456`); default: now"}
    )
    current = QueryBoolean(
        metadata={"description": "`true`: this sample is the device's current status even if "
                  "its `time` is older than the stored one"}
    )

    # The key decides first: a key with a NUL is a wrong key (403), not a 400 to a caller
    # without access. None of these strings is stored; a ``time`` with a NUL is a bad format.
    accepts_nul_characters = True


# The body is validated against the full NetJSON DeviceMonitoring JSON Schema in
# monitoring/netjson.py; the OpenAPI document shows its outline.
DEVICE_MONITORING_BODY = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"type": "string", "enum": ["DeviceMonitoring"]},
        "general": {"type": "object"},
        "resources": {"type": "object"},
        "interfaces": {"type": "array", "items": {"type": "object"}},
        "dhcp_leases": {"type": "array", "items": {"type": "object"}},
        "neighbors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
    "example": {
        "type": "DeviceMonitoring",
        "general": {"hostname": "ap-lobby", "local_time": 1714644931, "uptime": 86400},
        "resources": {
            "load": [0.12, 0.1, 0.05], "cpus": 1,
            "memory": {"total": 249774080, "free": 224497664, "buffered": 974848, "shared": 102400},
            "disk": [{"mount_point": "/", "filesystem": "overlay", "used_bytes": 18792,
                      "available_bytes": 11204, "used_percent": 63, "size_bytes": 29996}],
        },
        "interfaces": [{"name": "eth0", "type": "ethernet",
                        "statistics": {"rx_bytes": 1200000, "tx_bytes": 800000}}],
    },
}


class DeviceDetailArgsSchema(ChartArgsSchema):
    key = fields.String(metadata={"description": "the device's key: read without user credentials"})
    status = QueryBoolean(metadata={"description": "`true`: add `data`, the latest NetJSON the device sent"})


class MonitoringDeviceFilterSchema(FilterSchema):
    organization = ChoiceUUID(metadata={"description": "organization id"})
    organization_slug = fields.String(metadata={"description": "organization slug"})
    monitoring__status = Choice(HEALTH_STATUSES, metadata={"description": "health status"})
    problem = ChoiceList(PROBLEM_KEYS, metadata={
        "description": "only devices in problem or critical with an unhealthy metric of one of these keys "
                       "(repeat it for several)"})
    maintenance = QueryBoolean(metadata={"description": "only devices in maintenance now (`true`) or not (`false`)"})


class MetricFilterSchema(FilterSchema):
    class Meta(FilterSchema.Meta):
        exclude = ("page", "page_size")

    is_healthy = QueryBoolean(metadata={"description": "only healthy (`true`) or unhealthy (`false`) metrics"})


# --- responses --------------------------------------------------------------------------


class ProblemSchema(BaseSchema):
    """An unhealthy metric: why a device is in problem."""

    key = fields.String(metadata={"description": "the metric's key, as `?problem=` takes it"})
    name = fields.String()
    since = UTCDateTime(attribute="unhealthy_since", allow_none=True, metadata={
        "description": "when it turned unhealthy (null: before this was recorded)"})
    value = fields.Float(attribute="unhealthy_value", allow_none=True, metadata={
        "description": "the reading that crossed the threshold"})
    operator = fields.Method("get_operator", metadata={"type": "string", "enum": ["<", ">"]})
    threshold = fields.Method("get_threshold", metadata={"type": "number"})

    def get_operator(self, metric) -> str:
        return judging.effective_alert(metric)[0]

    def get_threshold(self, metric) -> float:
        return judging.effective_alert(metric)[1]


class HealthStatusSchema(BaseSchema):
    status = fields.String()
    in_maintenance = fields.Boolean(metadata={
        "description": "a maintenance window covers the device now: its notifications are held back"})
    problems = fields.List(fields.Nested(ProblemSchema), metadata={
        "description": "for a device in `problem` or `critical`: its unhealthy metrics, by name"})


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


class MetricSchema(BaseSchema):
    id = fields.UUID()
    name = fields.String()
    key = fields.String()
    is_healthy = fields.Boolean(allow_none=True)
