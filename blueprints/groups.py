from blueprints.crud import Resource, register_crud
from monitoring.extensions import Blueprint
from monitoring.services.inventory import groups
from schemas.groups import DeviceGroupFilterSchema, DeviceGroupSchema

blp = Blueprint(
    "groups", __name__, url_prefix="/api/v1/controller/group",
    description="Device groups of an organization. Deleting a group leaves its devices ungrouped.",
)

register_crud(blp, Resource(
    service=groups, schema=DeviceGroupSchema, filter_schema=DeviceGroupFilterSchema,
    id_arg="group_id", singular="device group", plural="device groups",
))
