"""Releasing what maintenance windows held back once a device is covered by none of them any
more: its window ended, was edited or deleted, or the device left the groups or locations
it covered (the worker's ``maintenance`` job).

For each metric whose notifications were held, the state the metric is in now is compared
with the state its recipients were last told about (the opposite of the first held event).
If they differ, one notification of the current state is sent now, with the text of the
latest held event of that kind: a device still in problem when its window ends gets exactly
one problem notification, and a problem that began and ended inside the window gets none.
Every held event is then marked released, with whether it was the one sent.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from monitoring.extensions import db
from monitoring.models import Device, DeviceMonitoring, HeldNotification, Metric, utcnow
from monitoring.timeseries.sample_store import WriteBatch


@dataclass
class ReleaseSummary:
    devices: int = 0
    sent: int = 0
    dropped: int = 0

    def __str__(self) -> str:
        return (f"{self.devices} devices out of maintenance, {self.sent} held notifications sent, "
                f"{self.dropped} dropped")


def _kind(event: HeldNotification) -> str:
    return "problem" if event.type.endswith("_problem") else "recovery"


def due_event(events: list[HeldNotification], metric: Metric | None) -> HeldNotification | None:
    """Of one metric's held events (oldest first), the one to send now, if any."""
    if metric is None or metric.alert_settings is None or not metric.alert_settings.is_active:
        return None  # its alerts were turned off meanwhile: nobody is told, as outside a window
    now = "problem" if metric.is_healthy_tolerant is False else "recovery"
    told = "recovery" if _kind(events[0]) == "problem" else "problem"
    if now == told:
        return None
    return [event for event in events if _kind(event) == now][-1]


def release_ended(*, now: datetime | None = None) -> ReleaseSummary:
    """Release the held notifications of every device no longer in maintenance at ``now``;
    one transaction per device."""
    now = now or utcnow()
    summary = ReleaseSummary()
    device_ids = db.session.scalars(
        select(HeldNotification.device_id).distinct()
        .where(HeldNotification.released_at.is_(None), ~func.device_in_maintenance(HeldNotification.device_id, now))
    ).all()
    for device_id in device_ids:
        _release_device(device_id, now, summary)
        db.session.commit()
    return summary


def _release_device(device_id: uuid.UUID, now: datetime, summary: ReleaseSummary) -> None:
    # The status row first, as samples and checks lock it: none judges the device meanwhile.
    db.session.execute(select(DeviceMonitoring.device_id).where(DeviceMonitoring.device_id == device_id)
                       .with_for_update())
    held = db.session.scalars(
        select(HeldNotification).where(HeldNotification.device_id == device_id, HeldNotification.released_at.is_(None))
        .order_by(HeldNotification.event_time, HeldNotification.id).with_for_update()
    ).all()
    if not held or db.session.scalar(select(func.device_in_maintenance(device_id, now))):
        return  # released by another run, or covered again meanwhile
    summary.devices += 1
    by_metric: dict[uuid.UUID | None, list[HeldNotification]] = defaultdict(list)
    for event in held:
        by_metric[event.metric_id].append(event)
    organization_id = db.session.scalar(select(Device.organization_id).where(Device.id == device_id))
    batch = WriteBatch(db.session.connection().connection.cursor())
    for metric_id, events in by_metric.items():
        metric = db.session.get(Metric, metric_id) if metric_id else None
        sent = due_event(events, metric)
        if sent is not None:
            batch.notification(device_id=device_id, organization_id=organization_id, metric=metric,
                               type=sent.type, level=sent.level, message=sent.message, at=now)
            summary.sent += 1
        for event in events:
            # An event held by overlapping windows has a row per window: all of them say it.
            event.sent = sent is not None and (event.type, event.event_time) == (sent.type, sent.event_time)
            event.released_at = now
        summary.dropped += len({(e.type, e.event_time) for e in events if not e.sent})
    db.session.flush()
    batch.execute()
