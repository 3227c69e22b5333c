from marshmallow import fields, validate

from monitoring.models import LOCATION_TYPES
from schemas.common import BaseSchema, PageArgsSchema, UTCDateTime
from schemas.validators import GeoPoint, WholeNumber


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


class FloorPlanSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    organization = fields.UUID(dump_only=True, attribute="organization_id")
    location = fields.UUID(required=True, attribute="location_id")
    floor = WholeNumber(required=True, validate=validate.Range(min=-32768, max=32767))
    image = fields.Method("image_url", dump_only=True, metadata={"description": "URL of the uploaded image"})
    created = UTCDateTime(dump_only=True)
    modified = UTCDateTime(dump_only=True)

    def image_url(self, obj):
        from monitoring.services.floorplans import image_url

        return image_url(obj)


class FloorPlanFilterSchema(PageArgsSchema):
    organization = fields.UUID()
    location = fields.UUID()
