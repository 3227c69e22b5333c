from blueprints.crud import Resource, register_crud
from monitoring.auth import superuser_required
from monitoring.extensions import Blueprint
from monitoring.services.accounts import organizations
from schemas.organizations import OrganizationFilterSchema, OrganizationSchema

blp = Blueprint(
    "organizations", __name__, url_prefix="/api/v1/users/organization",
    description="Organizations (tenants). Superusers create and delete them; their managers "
    'may edit them. `PATCH {"is_active": false}` disables one.',
)

register_crud(blp, Resource(
    service=organizations, schema=OrganizationSchema, filter_schema=OrganizationFilterSchema,
    id_arg="organization_id", singular="organization", plural="organizations you manage",
    access={"create": superuser_required, "delete": superuser_required},
))
