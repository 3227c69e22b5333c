"""A metric's alert settings (docs/metrics.md §5.3)."""
from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema

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
