"""Notifications (the OpenWISP notifications API's paths and item names)."""
from __future__ import annotations

from marshmallow import fields

from schemas.common import BaseSchema, UTCDateTime
from schemas.filters import FilterSchema, QueryBoolean


class NotificationFilterSchema(FilterSchema):
    unread = QueryBoolean(metadata={"description": "only unread (`true`) or read (`false`) notifications"})


class NotificationSchema(BaseSchema):
    id = fields.UUID()
    type = fields.String(metadata={"description": "`<metric>_problem` or `<metric>_recovery`, e.g. `ping_problem`"})
    level = fields.String(metadata={"description": "`warning` (problem) or `info` (recovery)"})
    message = fields.String(metadata={"description": "markdown, with a link to the device"})
    unread = fields.Boolean()
    timestamp = UTCDateTime()
    organization = fields.UUID(attribute="organization_id", allow_none=True)
    device = fields.UUID(attribute="device_id", allow_none=True)
    metric = fields.UUID(attribute="metric_id", allow_none=True)
    target_object_id = fields.Function(lambda n: str(n.device_id) if n.device_id else None,
                                       metadata={"description": "the device, under OpenWISP's name"})
    target_content_type = fields.Function(lambda n: "config.device" if n.device_id else None)


class MarkedReadSchema(BaseSchema):
    count = fields.Integer(metadata={"description": "how many were unread"})
