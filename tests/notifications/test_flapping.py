"""One notification per change, whatever the channels, and none for a flapping metric: CPU
usage crossing its threshold back and forth within its tolerance (30 minutes) is never
confirmed, while the same threshold held for the whole tolerance is, once."""
from __future__ import annotations

from sqlalchemy import func, select

from monitoring.extensions import db
from monitoring.models import Notification, WebhookDelivery
from tests.health.test_problem_reasons import send
from tests.notifications.support import hook

HIGH, LOW = 0.97, 0.2  # load of a 1-CPU device: 97 % and 20 % CPU usage (threshold 90 %)


def events(model, device) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(model.device_id == device.id))


def test_a_flapping_metric_notifies_nobody(client, make, org):
    make.user(superuser=True), make.user(manages=[org])
    hook(org, "http://127.0.0.1:9/hook")
    device = make.device(org)
    send(client, device, cpu_load=LOW, minutes_ago=40)
    # 35 minutes alternating over and under the threshold, every 5 minutes, the last one now
    for step, minutes_ago in enumerate(range(35, -1, -5)):
        send(client, device, cpu_load=HIGH if step % 2 == 0 else LOW, minutes_ago=minutes_ago)
    send(client, device, cpu_load=HIGH)
    assert events(Notification, device) == 0 and events(WebhookDelivery, device) == 0


def test_a_threshold_held_for_the_tolerance_is_told_once_per_recipient_and_channel(client, make, org):
    make.user(superuser=True), make.user(manages=[org])
    hook(org, "http://127.0.0.1:9/hook")
    device = make.device(org)
    for minutes_ago in range(35, -1, -5):
        send(client, device, cpu_load=HIGH, minutes_ago=minutes_ago)
    send(client, device, cpu_load=HIGH)
    assert events(Notification, device) == 2  # the superuser's and the manager's
    assert events(WebhookDelivery, device) == 1  # one event for the webhook
