"""The e-mail outbox: ``/api/v1/notifications/email-delivery/`` (superusers).

Routes of the ``notifications`` blueprint of ``blueprints/notifications.py`` (one OpenAPI
tag), declared after the notifications."""
from __future__ import annotations

from blueprints.notifications import blp
from monitoring.auth import superuser_required
from monitoring.services.notifications import emails
from schemas.common import page_of
from schemas.email_deliveries import EmailDeliveryFilterSchema, EmailDeliverySchema


@blp.route("/email-delivery/", methods=["GET"])
@superuser_required
@blp.arguments(EmailDeliveryFilterSchema, location="query")
@blp.response(200, page_of(EmailDeliverySchema))
def list_email_deliveries(args):
    """List the e-mail outbox, newest first

    One row per notification and recipient: whether its e-mail is pending, being sent,
    sent, failed (given up after `EMAIL_MAX_ATTEMPTS`, or refused for good) or skipped.
    """
    return emails.list_page(**args)
