"""One notification per change and recipient, whatever the channels, and each channel's
delivery state in the notification's API representation."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from monitoring.extensions import db
from monitoring.models import EmailDelivery, Notification, WebhookDelivery
from monitoring.services.notifications import emails, webhooks
from tests.notifications.support import POLICY, Receiver, email_policy_for, hook
from tests.notifications.test_emails import choose, disk, later

URL = "/api/v1/notifications/notification/"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def deliveries(client, headers) -> list[list[dict]]:
    """Each notification's deliveries, with whether they have a ``sent_at``."""
    items = client.get(URL, headers=headers).get_json()["results"]
    fields = ("channel", "state", "attempts", "last_error")
    return [[{key: d[key] for key in fields} | {"sent": d["sent_at"] is not None} for d in item["deliveries"]]
            for item in items]


def test_one_change_is_one_notification_per_recipient_and_one_delivery_per_channel(
        client, make, org, receiver, mailbox):
    manager, superuser = make.user(manages=[org]), make.user(superuser=True)
    hook(org, receiver.url)
    device = make.device(org)
    disk(client, device, full=True)
    disk(client, device, full=True)  # still in problem: no change, nothing more
    assert (count(Notification), count(EmailDelivery), count(WebhookDelivery)) == (2, 2, 1)
    as_manager, as_superuser = make.headers(manager), make.headers(superuser)
    in_app = {"channel": "in_app", "state": "sent", "attempts": 1, "last_error": None, "sent": True}
    pending_email = {"channel": "email", "state": "pending", "attempts": 0, "last_error": None, "sent": False}
    pending_webhook = pending_email | {"channel": "webhook"}
    assert deliveries(client, as_manager) == [[in_app, pending_email]]  # the webhook: superusers only
    assert deliveries(client, as_superuser) == [[in_app, pending_email, pending_webhook]]

    assert webhooks.deliver_due(policy=POLICY).delivered == 1
    assert emails.deliver_due(policy=email_policy_for(mailbox), now=later(6)).messages == 2
    sent = {"state": "sent", "attempts": 1, "sent": True, "last_error": None}
    assert deliveries(client, as_superuser) == [[in_app, pending_email | sent, pending_webhook | sent]]
    [item] = client.get(URL, headers=as_manager).get_json()["results"]
    assert client.get(f"{URL}{item['id']}/", headers=as_manager).get_json()["deliveries"] == item["deliveries"]
    assert len(receiver.requests) == 1 and len(mailbox.messages) == 2


def test_a_failed_channel_says_why_and_a_declined_one_is_absent(client, make, org, receiver, mailbox):
    declined, told = make.user(manages=[org]), make.user(manages=[org])
    choose(declined, org, "none")
    hook(org, receiver.url)
    receiver.statuses = [500]
    mailbox.answers = ["550 5.1.1 no such mailbox"]
    disk(client, make.device(org), full=True)
    webhooks.deliver_due(policy=POLICY)
    emails.deliver_due(policy=email_policy_for(mailbox), now=later(6))
    assert [d["channel"] for d in client.get(URL, headers=make.headers(declined)).get_json()["results"][0][
        "deliveries"]] == ["in_app"]
    assert deliveries(client, make.headers(told))[0][1] == {
        "channel": "email", "state": "failed", "attempts": 1, "last_error": "SMTP 550: 5.1.1 no such mailbox",
        "sent": False}
    superuser = make.user(superuser=True)  # created after the change: no notification of their own
    assert client.get(URL, headers=make.headers(superuser)).get_json()["count"] == 0
    db.session.expire_all()
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    assert (delivery.attempts, delivery.last_error) == (1, "HTTP 500")
