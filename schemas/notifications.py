"""Notifications (the OpenWISP notifications API's paths and item names)."""
from __future__ import annotations

from marshmallow import fields

from schemas.common import BaseSchema, UTCDateTime
from schemas.filters import FilterSchema, QueryBoolean


class NotificationFilterSchema(FilterSchema):
    unread = QueryBoolean(metadata={"description": "only unread (`true`) or read (`false`) notifications"})


class DeliverySchema(BaseSchema):
    channel = fields.String(metadata={"enum": ["in_app", "email", "webhook"]})
    state = fields.String(metadata={
        "enum": ["pending", "sending", "sent", "failed", "skipped"],
        "description": "`pending` (to send, or to retry), `sending` (being handed over now), `sent`, `failed` "
                       "(given up: see `last_error`), `skipped` (e-mail only: no SMTP server, or no address)"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    sent_at = UTCDateTime(allow_none=True)


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
    deliveries = fields.List(fields.Nested(DeliverySchema), metadata={"description": (
        "How each channel carries this notification, each at most once: `in_app` (this row), `email` (unless "
        "the recipient chose none or has no address; maybe sent together with others) and, to superusers, "
        "`webhook` (the organization's, one delivery per change for all its recipients)")})


class MarkedReadSchema(BaseSchema):
    count = fields.Integer(metadata={"description": "how many were unread"})
