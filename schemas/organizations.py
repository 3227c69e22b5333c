from marshmallow import fields, validate

from schemas.common import BaseSchema, PageArgsSchema, UTCDateTime
from schemas.validators import SLUG


class OrganizationSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    slug = fields.String(
        validate=[validate.Length(min=1, max=128), validate.Regexp(SLUG, error="Enter a valid slug.")],
        metadata={"description": "unique; derived from the name when omitted"},
    )
    description = fields.String(load_default=None)
    is_active = fields.Boolean()
    created = UTCDateTime(dump_only=True)
    modified = UTCDateTime(dump_only=True)


class OrganizationFilterSchema(PageArgsSchema):
    is_active = fields.Boolean()
