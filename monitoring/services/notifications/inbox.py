"""A user's notifications over the API (the OpenWISP notifications paths), with the state
of each channel that carries them, and the organizations' webhook settings.

A user sees only the rows addressed to them, and of those only the ones of organizations
they manage now (a superuser: all): a manager who lost an organization no longer reads its
devices' news.

A notification is one change told to one recipient; each channel carries it at most once:
the in-app row itself, its e-mail (one outbox row per notification row, maybe sent
together with others), and the organization's webhook (one delivery per change, shared by
its recipients). ``deliveries`` lists them; the webhook's only to superusers, who alone see
webhook settings (its errors name the addresses it calls).
"""
from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import select, tuple_, update

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import (
    EmailDelivery,
    Notification,
    NotificationWebhook,
    Organization,
    User,
    WebhookDelivery,
    new_webhook_secret,
)
from monitoring.pagination import paginate
from monitoring.services.notifications import webhook_targets
from monitoring.tenancy import scoped

LABEL = "Notification"


def _visible(user: User):
    statement = select(Notification).where(Notification.recipient_id == user.id)
    return scoped(statement, Notification.organization_id, user)


def list_page(*, user: User, page=None, page_size=None, unread: bool | None = None) -> dict:
    """Newest first, each with its ``deliveries``."""
    statement = _visible(user)
    if unread is not None:
        statement = statement.where(Notification.unread.is_(unread))
    result = paginate(statement.order_by(Notification.timestamp.desc(), Notification.id), page=page,
                      page_size=page_size)
    _attach_deliveries(result["results"], user=user)
    return result


def get(*, user: User, notification_id: uuid.UUID) -> Notification:
    """One of the user's notifications, with its ``deliveries``."""
    notification = db.session.scalar(_visible(user).where(Notification.id == notification_id))
    if notification is None:
        errors.not_found(LABEL)
    _attach_deliveries([notification], user=user)
    return notification


def _delivery(channel: str, state: str, *, attempts: int, last_error: str | None, sent_at) -> dict:
    return {"channel": channel, "state": state, "attempts": attempts, "last_error": last_error, "sent_at": sent_at}


def _webhook_state(delivery: WebhookDelivery) -> str:
    if delivery.delivered_at is not None:
        return "sent"
    return "pending" if delivery.next_attempt_at is not None else "failed"


def _event_key(row) -> tuple:
    """What the rows of one change share, notifications and webhook deliveries alike."""
    time = row.timestamp if isinstance(row, Notification) else row.event_time
    return row.organization_id, row.device_id, row.metric_id, row.type, time


def _attach_deliveries(notifications: list[Notification], *, user: User) -> None:
    """Set ``deliveries`` on each notification: in-app, then e-mail, then webhook (for
    superusers), each only where the channel carries it."""
    if not notifications:
        return
    emails = {row.notification_id: row for row in db.session.scalars(
        select(EmailDelivery).where(EmailDelivery.notification_id.in_([n.id for n in notifications])))}
    webhooks = {}
    if user.is_superuser:
        keys = [_event_key(n) for n in notifications]
        webhooks = {_event_key(row): row for row in db.session.scalars(select(WebhookDelivery).where(tuple_(
            WebhookDelivery.organization_id, WebhookDelivery.device_id, WebhookDelivery.metric_id,
            WebhookDelivery.type, WebhookDelivery.event_time).in_(keys)))}
    for notification in notifications:
        deliveries = [_delivery("in_app", "sent", attempts=1, last_error=None, sent_at=notification.timestamp)]
        if (email := emails.get(notification.id)) is not None:
            deliveries.append(_delivery("email", email.state, attempts=email.attempts, last_error=email.last_error,
                                        sent_at=email.sent_at))
        if (webhook := webhooks.get(_event_key(notification))) is not None:
            deliveries.append(_delivery("webhook", _webhook_state(webhook), attempts=webhook.attempts,
                                        last_error=webhook.last_error, sent_at=webhook.delivered_at))
        notification.deliveries = deliveries


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
