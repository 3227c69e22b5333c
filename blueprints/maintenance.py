"""Maintenance windows: ``/api/v1/monitoring/maintenance/``, and what each one held."""
from __future__ import annotations

from blueprints.crud import Resource, register_crud
from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from monitoring.services.maintenance import windows
from schemas.common import ErrorSchema, PageArgsSchema, page_of
from schemas.maintenance import HeldNotificationSchema, MaintenanceWindowFilterSchema, MaintenanceWindowSchema

blp = Blueprint(
    "maintenance", __name__, url_prefix="/api/v1/monitoring/maintenance",
    description="Maintenance windows of an organization: while one covers a device, its problem and "
                "recovery notifications (and webhooks) are held back; its checks still run, its data is "
                "still stored and its health still judged. When it leaves maintenance still in a state it "
                "was not notified of, one notification tells it.",
)

register_crud(blp, Resource(
    service=windows, schema=MaintenanceWindowSchema, filter_schema=MaintenanceWindowFilterSchema,
    id_arg="window_id", singular="maintenance window", plural="maintenance windows",
))


@blp.route("/<uuid:window_id>/held-notification/", methods=["GET"])
@manager_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(HeldNotificationSchema))
@blp.alt_response(404, schema=ErrorSchema, description="No such maintenance window")
def held_notifications(args, window_id):
    """List the notifications a window held back

    Newest first; `released_at` and `sent` say what became of each once its device left
    maintenance.
    """
    return windows.held_page(user=authenticated_user(), window_id=window_id, **args)
