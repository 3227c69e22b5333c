"""The e-mail outbox, as superusers see it."""
from __future__ import annotations

from marshmallow import fields

from monitoring.models import EMAIL_DELIVERY_STATES
from schemas.common import BaseSchema, UTCDateTime
from schemas.filters import Choice, FilterSchema

STATES_DESCRIPTION = ("`pending` (to send, or to retry at `next_attempt_at`), `sending` (being handed to the "
                      "SMTP server now), `sent`, `failed` (given up, see `last_error`), `skipped` (no SMTP server "
                      "configured, or no address)")


class EmailDeliveryFilterSchema(FilterSchema):
    state = Choice(EMAIL_DELIVERY_STATES, metadata={"description": STATES_DESCRIPTION})


class EmailDeliverySchema(BaseSchema):
    id = fields.UUID()
    notification = fields.UUID(attribute="notification_id")
    recipient = fields.UUID(attribute="notification.recipient_id")
    organization = fields.UUID(attribute="notification.organization_id", allow_none=True)
    type = fields.String(attribute="notification.type")
    mode = fields.String(metadata={"description": "the recipient's choice when the notification was written"})
    state = fields.String(metadata={"enum": list(EMAIL_DELIVERY_STATES), "description": STATES_DESCRIPTION})
    attempts = fields.Integer()
    next_attempt_at = UTCDateTime(allow_none=True)
    sent_at = UTCDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True, metadata={
        "description": "the Message-ID of the e-mail that carried it (shared by the notifications sent together)"})
    created = UTCDateTime()
