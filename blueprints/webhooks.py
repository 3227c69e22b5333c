"""An organization's notification webhook: ``/api/v1/notifications/organization/{id}/webhook/``.

Routes of the ``notifications`` blueprint of ``blueprints/notifications.py`` (one OpenAPI
tag), declared after the notifications."""
from __future__ import annotations

from flask.views import MethodView

from blueprints.notifications import blp
from monitoring.auth import superuser_required
from monitoring.services.notifications import inbox
from schemas.common import ErrorSchema
from schemas.webhooks import WebhookSchema


@blp.route("/organization/<uuid:organization_id>/webhook/")
class Webhook(MethodView):
    @superuser_required
    @blp.response(200, WebhookSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such organization, or no webhook set")
    def get(self, organization_id):
        """Read an organization's notification webhook"""
        return inbox.get_webhook(organization_id=organization_id)

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
        return inbox.set_webhook(organization_id=organization_id, data=data)

    @superuser_required
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such organization, or no webhook set")
    def delete(self, organization_id):
        """Remove an organization's notification webhook"""
        inbox.delete_webhook(organization_id=organization_id)


@blp.route("/organization/<uuid:organization_id>/webhook/rotate-secret/", methods=["POST"])
@superuser_required
@blp.response(200, WebhookSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such organization, or no webhook set")
def rotate_webhook_secret(organization_id):
    """Replace the webhook's signing secret

    The old secret stops at once: deliveries sent from now on, retries included, are signed
    with the new one, which the answer shows.
    """
    return inbox.rotate_webhook_secret(organization_id=organization_id)
