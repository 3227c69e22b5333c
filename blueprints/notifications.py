"""Notifications, at the OpenWISP notifications API's paths (``/api/v1/notifications/notification/``).

Organizations' notification webhooks (``blueprints/webhooks.py``) are routes of this blueprint
too: one OpenAPI tag."""
from __future__ import annotations

from flask.views import MethodView

from monitoring.auth import authenticated_user, user_required
from monitoring.extensions import Blueprint
from monitoring.services.notifications import inbox
from schemas.common import ErrorSchema, page_of
from schemas.notifications import MarkedReadSchema, NotificationFilterSchema, NotificationSchema

blp = Blueprint(
    "notifications", __name__, url_prefix="/api/v1/notifications",
    description="Problem and recovery notifications of device metrics. Each user reads their own, of the "
    "organizations they manage. Superusers may also have an organization's notifications POSTed to a webhook.",
)


@blp.route("/notification/", methods=["GET"])
@user_required
@blp.arguments(NotificationFilterSchema, location="query")
@blp.response(200, page_of(NotificationSchema))
def list_notifications(args):
    """List your notifications, newest first"""
    return inbox.list_page(user=authenticated_user(), **args)


@blp.route("/notification/read/", methods=["POST"])
@user_required
@blp.response(200, MarkedReadSchema)
def mark_all_read():
    """Mark all your notifications read"""
    return {"count": inbox.mark_all_read(user=authenticated_user())}


@blp.route("/notification/<uuid:notification_id>/")
class Notification(MethodView):
    @user_required
    @blp.response(200, NotificationSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Not one of your notifications")
    def get(self, notification_id):
        """Read a notification"""
        return inbox.get(user=authenticated_user(), notification_id=notification_id)

    @user_required
    @blp.response(200, NotificationSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Not one of your notifications")
    def patch(self, notification_id):
        """Mark a notification read"""
        return inbox.mark_read(user=authenticated_user(), notification_id=notification_id)
