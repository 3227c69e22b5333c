"""Maintenance windows for tests: created over the API, and what a device's notifications
became."""
from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy import func, select

from monitoring.extensions import db
from monitoring.models import HeldNotification, Notification, WebhookDelivery
from tests.ingest.test_device_samples import RESOURCES, post, sample

URL = "/api/v1/monitoring/maintenance/"


def create_window(client, headers, org, **fields):
    body = {"organization": str(org.id), "name": "upgrade", **fields}
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def disk(client, device, *, full: bool):
    """A sample with the disk over (problem) or under (recovery) its 90 % threshold."""
    resources = copy.deepcopy(RESOURCES)
    resources["disk"][0]["used_bytes"] = 29000 if full else 18792
    assert post(client, device, sample(resources=resources)).status_code == 200


def notification_types(device) -> list[str]:
    """The types of the device's notifications, one per event (whatever the recipients)."""
    db.session.expire_all()
    return list(db.session.scalars(
        select(Notification.type).where(Notification.device_id == device.id)
        .group_by(Notification.type, Notification.timestamp).order_by(Notification.timestamp)))


def webhook_types(device) -> list[str]:
    return list(db.session.scalars(select(WebhookDelivery.type).where(WebhookDelivery.device_id == device.id)
                                   .order_by(WebhookDelivery.event_time)))


def held(device) -> list[HeldNotification]:
    db.session.expire_all()
    return list(db.session.scalars(select(HeldNotification).where(HeldNotification.device_id == device.id)
                                   .order_by(HeldNotification.event_time, HeldNotification.window_id)))


def in_maintenance(device, at: datetime) -> bool:
    """Whether the database says the device is covered at ``at``."""
    return db.session.scalar(select(func.device_in_maintenance(device.id, at)))
