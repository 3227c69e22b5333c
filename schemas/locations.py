from marshmallow import fields, validate

from monitoring.models import LOCATION_TYPES
from schemas.common import BaseSchema, PageArgsSchema, UTCDateTime
from schemas.validators import GeoPoint


class LocationSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    organization = fields.UUID(required=True, attribute="organization_id")
    name = fields.String(required=True, validate=validate.Length(min=1, max=75))
    type = fields.String(validate=validate.OneOf(LOCATION_TYPES))
    is_mobile = fields.Boolean()
    address = fields.String(validate=validate.Length(max=256))
    geometry = GeoPoint(
        allow_none=True, metadata={"description": 'GeoJSON Point: {"type": "Point", "coordinates": [lng, lat]}'}
    )
    created = UTCDateTime(dump_only=True)
    modified = UTCDateTime(dump_only=True)


class LocationFilterSchema(PageArgsSchema):
    organization = fields.UUID()
    type = fields.String(validate=validate.OneOf(LOCATION_TYPES))
