"""An organization's notification webhook."""
from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema, UTCDateTime


class WebhookSchema(BaseSchema):
    organization = fields.UUID(attribute="organization_id", dump_only=True)
    url = fields.URL(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=2000))
    is_active = fields.Boolean(load_default=True)
    secret = fields.String(dump_only=True, metadata={"description": (
        "The key of the delivery signatures, made when the webhook is created; give it to the "
        "receiver. Each delivery carries `X-Monitoring-Timestamp` (Unix seconds) and "
        "`X-Monitoring-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>` with this "
        "secret (its text as the key). `POST …/webhook/rotate-secret/` replaces it.")})
    created = UTCDateTime(dump_only=True)
    modified = UTCDateTime(dump_only=True)
