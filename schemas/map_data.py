"""The monitoring map: GeoJSON locations, a location's devices, indoor positions."""
from marshmallow import fields, missing

from monitoring.models import HEALTH_STATUSES, LOCATION_TYPES
from monitoring.services.geo.map_data import (
    GEOJSON_PAGE_SIZE,
    INDOOR_PAGE_SIZE,
    device_admin_url,
    floor_name,
    indoor_position,
    status_label,
)
from monitoring.services.inventory.floorplans import image_url
from schemas.common import BaseSchema, UTCDateTime, page_of
from schemas.filters import Choice, ChoiceList, ChoiceUUID, FilterSchema, Number, QueryBoolean
from schemas.validators import GeoPoint, IPAddress

URL = {"type": "string", "format": "uri"}


class SameObject(fields.Nested):
    """A nested object drawn from the object itself (a query row with all its columns)."""

    def get_value(self, obj, attr, accessor=None, default=missing):
        return obj


# --- GeoJSON -----------------------------------------------------------------------------

class GeoJsonFilterSchema(FilterSchema):
    page_size = fields.String(metadata={"description": f"features per page (default {GEOJSON_PAGE_SIZE}, no upper "
                                                      "limit)"})
    organization = ChoiceUUID(metadata={"description": "organization id"})
    organization_slug = fields.String(metadata={"description": "organization slug"})
    is_mobile = QueryBoolean(metadata={"description": "`true` or `false`"})
    type = Choice(LOCATION_TYPES)


class LocationPropertiesSchema(BaseSchema):
    name = fields.String()
    type = fields.String()
    is_mobile = fields.Boolean()
    address = fields.String()
    created = UTCDateTime()
    modified = UTCDateTime()
    organization = fields.UUID(attribute="organization_id")
    device_count = fields.Integer()
    ok_count = fields.Integer()
    problem_count = fields.Integer()
    critical_count = fields.Integer()
    unknown_count = fields.Integer()


class LocationFeatureSchema(BaseSchema):
    id = fields.UUID()
    type = fields.Constant("Feature")
    geometry = GeoPoint(allow_none=True)
    properties = SameObject(LocationPropertiesSchema)


class LocationFeatureCollectionSchema(BaseSchema):
    type = fields.Constant("FeatureCollection")
    count = fields.Integer()
    next = fields.String(allow_none=True, metadata={"type": "string", "format": "uri"})
    previous = fields.String(allow_none=True, metadata={"type": "string", "format": "uri"})
    features = fields.List(fields.Nested(LocationFeatureSchema))


# --- devices of a location ------------------------------------------------------------------

class MonitoringStatusLabelSchema(BaseSchema):
    status = fields.String()
    status_label = fields.Function(lambda obj: status_label(obj.status), metadata={"type": "string"})


class LocationDeviceFilterSchema(FilterSchema):
    search = fields.String(metadata={"description": "part of the name or MAC address"})
    status = ChoiceList(HEALTH_STATUSES, metadata={"description": "health status; repeat for several"})


class LocationDeviceSchema(BaseSchema):
    """A device at a location (its key is never listed: docs/api.md §15.1)."""

    id = fields.UUID()
    admin_edit_url = fields.Function(lambda device: device_admin_url(device.id), metadata=URL)
    monitoring = fields.Nested(MonitoringStatusLabelSchema)
    created = UTCDateTime()
    modified = UTCDateTime()
    name = fields.String()
    mac_address = fields.String()
    model = fields.String()
    os = fields.String()
    system = fields.String()
    notes = fields.String()
    last_ip = IPAddress(allow_none=True)
    management_ip = IPAddress(allow_none=True)
    hardware_id = fields.String()
    is_deactivated = fields.Boolean(data_key="_is_deactivated")
    organization = fields.UUID(attribute="organization_id")
    group = fields.UUID(attribute="group_id", allow_none=True)


class LocationDeviceListSchema(page_of(LocationDeviceSchema)):
    has_floorplan = fields.Boolean(metadata={"description": "whether any device of the location is on a floorplan"})


# --- indoor positions ---------------------------------------------------------------------

class IndoorCoordinatesFilterSchema(FilterSchema):
    page_size = fields.String(metadata={"description": f"positions per page (default {INDOOR_PAGE_SIZE}, max 100)"})
    floor = Number(metadata={"description": "floor number; default: the ground floor or the lowest above it"})


class IndoorCoordinatesSchema(BaseSchema):
    id = fields.UUID(metadata={"description": "the device location (one per device: the device id)"})
    admin_edit_url = fields.Function(lambda row: device_admin_url(row.device_id), metadata=URL)
    device_id = fields.UUID()
    floorplan_id = fields.UUID()
    device_name = fields.String()
    mac_address = fields.String()
    floor_name = fields.Function(lambda row: floor_name(row.location_name, row.floor), metadata={"type": "string"})
    floor = fields.Integer()
    image = fields.Function(image_url, allow_none=True, metadata=URL)
    coordinates = fields.Function(
        lambda row: indoor_position(row.indoor), allow_none=True,
        metadata={"type": "object", "description": '`{"lat": y, "lng": x}` from the position "y,x", or null'},
    )
    monitoring = SameObject(MonitoringStatusLabelSchema)


class IndoorCoordinatesListSchema(page_of(IndoorCoordinatesSchema)):
    floors = fields.List(fields.Integer(), metadata={"description": "every floor with devices, ascending"})
