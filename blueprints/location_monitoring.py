"""The devices of a location and their indoor positions: ``/api/v1/monitoring/location/…``."""
from __future__ import annotations

from functools import wraps

from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from monitoring.services import map_data
from schemas.common import ErrorSchema
from schemas.map_data import (
    IndoorCoordinatesFilterSchema,
    IndoorCoordinatesListSchema,
    LocationDeviceFilterSchema,
    LocationDeviceListSchema,
)

blp = Blueprint(
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


@blp.route("/<uuid:location_id>/device/", methods=["GET"])
@manager_required
@visible_location
@blp.arguments(LocationDeviceFilterSchema, location="query")
@blp.response(200, LocationDeviceListSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such location, or not visible")
def location_devices(args, location):
    """List the devices at a location, by name

    `has_floorplan` says whether any device of the location (filters aside) is on a floorplan.
    """
    return map_data.location_devices_page(location=location, **args)


@blp.route("/<uuid:location_id>/indoor-coordinates/", methods=["GET"])
@manager_required
@visible_location
@blp.arguments(IndoorCoordinatesFilterSchema, location="query")
@blp.response(200, IndoorCoordinatesListSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such location, or not visible")
def indoor_coordinates(args, location):
    """List the positions of devices on one floor of an indoor location

    Without `floor`: the ground floor, or the lowest floor above it that has devices (only
    underground floors: the one nearest the surface). `floors` lists every floor with
    devices. 50 per page by default.
    """
    return map_data.indoor_coordinates_page(location=location, **args)
