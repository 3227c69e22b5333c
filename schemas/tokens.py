"""API tokens: obtaining one, and the list of one's own."""
from __future__ import annotations

from marshmallow import fields

from schemas.common import BaseSchema, UTCDateTime


class TokenRequestSchema(BaseSchema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(BaseSchema):
    token = fields.String(required=True)


class TokenInfoSchema(BaseSchema):
    """One of the caller's tokens: never the token itself, which is not stored."""

    id = fields.UUID(required=True)
    created = UTCDateTime(required=True)
    last_used = UTCDateTime(allow_none=True, metadata={"description": "Within a few minutes"})
    current = fields.Boolean(required=True, metadata={"description": "Whether this request used this token"})
