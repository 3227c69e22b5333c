"""A device's health settings: a metric's alert settings and the device's active checks."""
from __future__ import annotations

from marshmallow import fields, validate

from monitoring.registry import CHECK_TYPES
from schemas.common import BaseSchema, PageArgsSchema

MAX_TOLERANCE = 10080  # minutes: one week


class AlertDefaultsSchema(BaseSchema):
    operator = fields.String()
    threshold = fields.Float()
    tolerance = fields.Integer()


class AlertSettingsSchema(BaseSchema):
    """Reads show the effective values; a change sets custom values under the same names
    (null, or the default's value, means "the default")."""

    metric = fields.UUID(attribute="metric_id", dump_only=True)
    is_active = fields.Boolean(metadata={"description": "alerts enabled: false stores no notifications, "
                                                        "health and status still change"})
    operator = fields.String(allow_none=True, validate=validate.OneOf(["<", ">"]),
                             metadata={"description": "`<` or `>`: which side of the threshold is unhealthy"})
    threshold = fields.Float(allow_none=True, allow_nan=False)
    tolerance = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_TOLERANCE),
                               metadata={"description": "minutes the threshold must stay crossed before a "
                                                        "notification (0–10080)"})
    defaults = fields.Nested(AlertDefaultsSchema, dump_only=True,
                             metadata={"description": "the metric's registry defaults"})


class CheckSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    name = fields.String(validate=validate.Length(min=1, max=64),
                         metadata={"description": "default: the type's label, e.g. `Ping`"})
    check_type = fields.String(required=True, validate=validate.OneOf(list(CHECK_TYPES)),
                               metadata={"description": "`ping`, `data_collected` or `wifi_clients`"})
    is_active = fields.Boolean()
    params = fields.Dict(allow_none=True, metadata={
        "description": "ping: `count` (2–20), `interval` (ms, 10–1000), `bytes` (12–65508), `timeout` "
                       "(ms, 5–1500); other types take none"})


class CheckListArgsSchema(PageArgsSchema):
    pass
