"""A user's notifications over the API (the OpenWISP notifications paths), and the
organizations' webhook settings.

A user sees only the rows addressed to them, and of those only the ones of organizations
they manage now (a superuser: all): a manager who lost an organization no longer reads its
devices' news.
"""
from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import select, update

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import Notification, NotificationWebhook, Organization, User, new_webhook_secret
from monitoring.pagination import paginate
from monitoring.services.notifications import webhook_targets
from monitoring.tenancy import scoped

LABEL = "Notification"


def _visible(user: User):
    statement = select(Notification).where(Notification.recipient_id == user.id)
    return scoped(statement, Notification.organization_id, user)


def list_page(*, user: User, page=None, page_size=None, unread: bool | None = None) -> dict:
    """Newest first."""
    statement = _visible(user)
    if unread is not None:
        statement = statement.where(Notification.unread.is_(unread))
    return paginate(statement.order_by(Notification.timestamp.desc(), Notification.id), page=page,
                    page_size=page_size)


def get(*, user: User, notification_id: uuid.UUID) -> Notification:
    notification = db.session.scalar(_visible(user).where(Notification.id == notification_id))
    if notification is None:
        errors.not_found(LABEL)
    return notification


def mark_read(*, user: User, notification_id: uuid.UUID) -> Notification:
    notification = get(user=user, notification_id=notification_id)
    if notification.unread:
        notification.unread = False
        db.session.commit()
    return notification


def mark_all_read(*, user: User) -> int:
    """Every unread notification the user can see; returns how many."""
    visible = _visible(user).where(Notification.unread.is_(True)).with_only_columns(Notification.id)
    count = db.session.execute(
        update(Notification).where(Notification.id.in_(visible)).values(unread=False)
    ).rowcount
    db.session.commit()
    return count


# --- webhooks (superusers only: the worker POSTs to whatever address is set here) --------

def _organization(organization_id: uuid.UUID) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        errors.not_found("Organization")
    return organization


def get_webhook(*, organization_id: uuid.UUID) -> NotificationWebhook:
    _organization(organization_id)
    webhook = db.session.get(NotificationWebhook, organization_id)
    if webhook is None:
        errors.not_found("NotificationWebhook")
    return webhook


def set_webhook(*, organization_id: uuid.UUID, data: dict) -> NotificationWebhook:
    """Create or change the webhook; a new one gets its signing secret, a changed one keeps
    it. A URL the worker would refuse to call (see ``webhook_targets``) is a 400 on ``url``."""
    _organization(organization_id)
    try:
        webhook_targets.check_saved_url(
            data["url"], allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"])
    except webhook_targets.TargetRefused as exc:
        errors.invalid({"url": [str(exc)]})
    webhook = db.session.get(NotificationWebhook, organization_id) or NotificationWebhook(
        organization_id=organization_id, secret=new_webhook_secret())
    webhook.url = data["url"]
    webhook.is_active = data.get("is_active", True)
    db.session.add(webhook)
    db.session.commit()
    return webhook


def rotate_webhook_secret(*, organization_id: uuid.UUID) -> NotificationWebhook:
    """A new signing secret replaces the old one at once: every delivery sent from now on,
    retries included, is signed with it."""
    webhook = get_webhook(organization_id=organization_id)
    webhook.secret = new_webhook_secret()
    db.session.commit()
    return webhook


def delete_webhook(*, organization_id: uuid.UUID) -> None:
    webhook = get_webhook(organization_id=organization_id)
    db.session.delete(webhook)
    db.session.commit()
