"""What the monitoring map shows: locations with devices as GeoJSON
(``/api/v1/monitoring/geojson/``), and the devices of a location with their indoor positions
(``/api/v1/monitoring/location/…``). Two blueprints, two OpenAPI tags: ``geojson`` and
``location_monitoring``."""
from __future__ import annotations

from functools import wraps

from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from monitoring.replicas import heavy_read
from monitoring.services.geo import map_data
from schemas.common import ErrorSchema
from schemas.map_data import (
    GeoJsonFilterSchema,
    IndoorCoordinatesFilterSchema,
    IndoorCoordinatesListSchema,
    LocationDeviceFilterSchema,
    LocationDeviceListSchema,
    LocationFeatureCollectionSchema,
)

geojson_blp = Blueprint(
    "geojson", __name__, url_prefix="/api/v1/monitoring/geojson",
    description="Locations that have devices, as GeoJSON, with device counts per health status.",
)


@geojson_blp.route("/", methods=["GET"])
@manager_required
@heavy_read
@geojson_blp.arguments(GeoJsonFilterSchema, location="query")
@geojson_blp.response(200, LocationFeatureCollectionSchema)
def locations_geojson(args):
    """Locations with devices as a GeoJSON FeatureCollection

    Newest locations first, 1000 per page (`page_size` sets another size, with no upper
    limit), so one page usually holds every location. `ok_count`, `problem_count`,
    `critical_count` and `unknown_count` count the devices by health status; deactivated
    devices count in `device_count` only.
    """
    return map_data.geojson_page(user=authenticated_user(), **args)


location_blp = Blueprint(
    "location_monitoring", __name__, url_prefix="/api/v1/monitoring/location",
    description="Devices at a location with their health status, and their positions on floorplans.",
)


def visible_location(view):
    """Resolve the location (404 unless the user may see it) before the filters are parsed:
    a caller learns nothing about another tenant's location from a 400."""

    @wraps(view)
    def wrapper(*args, location_id, **kwargs):
        location = map_data.get_location(user=authenticated_user(), location_id=location_id)
        return view(*args, location=location, **kwargs)

    return wrapper


@location_blp.route("/<uuid:location_id>/device/", methods=["GET"])
@manager_required
@visible_location
@heavy_read
@location_blp.arguments(LocationDeviceFilterSchema, location="query")
@location_blp.response(200, LocationDeviceListSchema)
@location_blp.alt_response(404, schema=ErrorSchema, description="No such location, or not visible")
def location_devices(args, location):
    """List the devices at a location, by name

    `has_floorplan` says whether any device of the location (filters aside) is on a floorplan.
    """
    return map_data.location_devices_page(location=location, **args)


@location_blp.route("/<uuid:location_id>/indoor-coordinates/", methods=["GET"])
@manager_required
@visible_location
@heavy_read
@location_blp.arguments(IndoorCoordinatesFilterSchema, location="query")
@location_blp.response(200, IndoorCoordinatesListSchema)
@location_blp.alt_response(404, schema=ErrorSchema, description="No such location, or not visible")
def indoor_coordinates(args, location):
    """List the positions of devices on one floor of an indoor location

    Without `floor`: the ground floor, or the lowest floor above it that has devices (only
    underground floors: the one nearest the surface). `floors` lists every floor with
    devices. 50 per page by default.
    """
    return map_data.indoor_coordinates_page(location=location, **args)
