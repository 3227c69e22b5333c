"""Floorplans of indoor locations."""
from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema, PageArgsSchema, UTCDateTime
from schemas.validators import WholeNumber


class FloorPlanSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    organization = fields.UUID(dump_only=True, attribute="organization_id")
    location = fields.UUID(required=True, attribute="location_id")
    floor = WholeNumber(required=True, validate=validate.Range(min=-32768, max=32767))
    image = fields.Method("image_url", dump_only=True, metadata={"description": "URL of the uploaded image"})
    created = UTCDateTime(dump_only=True)
    modified = UTCDateTime(dump_only=True)

    def image_url(self, obj):
        from monitoring.services.inventory.floorplans import image_url

        return image_url(obj)


class FloorPlanFilterSchema(PageArgsSchema):
    organization = fields.UUID()
    location = fields.UUID()
