from blueprints.crud import Resource, register_crud
from monitoring.extensions import Blueprint
from monitoring.services.inventory import locations
from schemas.locations import LocationFilterSchema, LocationSchema

blp = Blueprint(
    "locations", __name__, url_prefix="/api/v1/controller/location",
    description="Locations where devices are: outdoor or indoor, with a GeoJSON point. "
    "Deleting a location deletes its floorplans; its devices lose their location.",
)

register_crud(blp, Resource(
    service=locations, schema=LocationSchema, filter_schema=LocationFilterSchema,
    id_arg="location_id", singular="location", plural="locations",
))
