"""Notifications, at the OpenWISP notifications API's paths
(``/api/v1/notifications/notification/``), and organizations' notification webhooks."""
from __future__ import annotations

from flask.views import MethodView

from monitoring.auth import authenticated_user, superuser_required, user_required
from monitoring.extensions import Blueprint
from monitoring.services import notification_inbox
from schemas.common import ErrorSchema, page_of
from schemas.notifications import MarkedReadSchema, NotificationFilterSchema, NotificationSchema, WebhookSchema

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
    return notification_inbox.list_page(user=authenticated_user(), **args)


@blp.route("/notification/read/", methods=["POST"])
@user_required
@blp.response(200, MarkedReadSchema)
def mark_all_read():
    """Mark all your notifications read"""
    return {"count": notification_inbox.mark_all_read(user=authenticated_user())}


@blp.route("/notification/<uuid:notification_id>/")
class Notification(MethodView):
    @user_required
    @blp.response(200, NotificationSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Not one of your notifications")
    def get(self, notification_id):
        """Read a notification"""
        return notification_inbox.get(user=authenticated_user(), notification_id=notification_id)

    @user_required
    @blp.response(200, NotificationSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Not one of your notifications")
    def patch(self, notification_id):
        """Mark a notification read"""
        return notification_inbox.mark_read(user=authenticated_user(), notification_id=notification_id)


@blp.route("/organization/<uuid:organization_id>/webhook/")
class Webhook(MethodView):
    @superuser_required
    @blp.response(200, WebhookSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such organization, or no webhook set")
    def get(self, organization_id):
        """Read an organization's notification webhook"""
        return notification_inbox.get_webhook(organization_id=organization_id)

    @superuser_required
    @blp.arguments(WebhookSchema)
    @blp.response(200, WebhookSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such organization")
    def put(self, data, organization_id):
        """Set an organization's notification webhook

        Every later notification event of the organization is POSTed there as JSON by the
        worker, signed with the webhook's `secret`, retried with back-off until a 2xx answer
        (redirects are not followed). Only http(s) URLs whose host is a public address are
        accepted (unless the server allows private targets; never a cloud metadata address);
        the address is checked again at every delivery.
        """
        return notification_inbox.set_webhook(organization_id=organization_id, data=data)

    @superuser_required
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such organization, or no webhook set")
    def delete(self, organization_id):
        """Remove an organization's notification webhook"""
        notification_inbox.delete_webhook(organization_id=organization_id)


@blp.route("/organization/<uuid:organization_id>/webhook/rotate-secret/", methods=["POST"])
@superuser_required
@blp.response(200, WebhookSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such organization, or no webhook set")
def rotate_webhook_secret(organization_id):
    """Replace the webhook's signing secret

    The old secret stops at once: deliveries sent from now on, retries included, are signed
    with the new one, which the answer shows.
    """
    return notification_inbox.rotate_webhook_secret(organization_id=organization_id)
