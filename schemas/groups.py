from marshmallow import fields, validate

from schemas.common import BaseSchema, PageArgsSchema, UTCDateTime


class DeviceGroupSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    organization = fields.UUID(required=True, attribute="organization_id")
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String()
    created = UTCDateTime(dump_only=True)
    modified = UTCDateTime(dump_only=True)


class DeviceGroupFilterSchema(PageArgsSchema):
    organization = fields.UUID()
