"""Device status changes made outside health evaluation (docs/metrics.md §5.5): the resets
to ``unknown`` and the status recovery detection sets.

A reset to ``unknown`` also forgets every metric's health (flags back to null), so the next
assessment starts afresh. Status rows are locked before metric rows, the order a device
sample takes them in, so a reset and a sample never deadlock: one waits for the other.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitoring.models import Device, DeviceMonitoring, Metric, utcnow


def _lock(session: Session, condition) -> list[uuid.UUID]:
    return list(session.scalars(
        select(DeviceMonitoring.device_id).where(condition).order_by(DeviceMonitoring.device_id).with_for_update()
    ))


def set_status(session: Session, *, device_ids: Iterable[uuid.UUID], status: str) -> list[uuid.UUID]:
    """Set the status of these devices, except deactivated ones (they keep ``deactivated``
    until re-activated); ``unknown`` resets their metrics. Returns the devices changed.
    Does not commit."""
    ids = _lock(session, DeviceMonitoring.device_id.in_(list(device_ids)))
    if not ids:
        return []
    changed = list(session.scalars(
        update(DeviceMonitoring)
        .where(DeviceMonitoring.device_id.in_(ids), DeviceMonitoring.status != "deactivated",
               DeviceMonitoring.status != status)
        .values(status=status, modified=utcnow())
        .returning(DeviceMonitoring.device_id)
    ))
    if status == "unknown":
        reset_metrics(session, device_ids=ids)
    return changed


def reset_metrics(session: Session, *, device_ids: list[uuid.UUID]) -> None:
    session.execute(
        update(Metric)
        .where(Metric.device_id.in_(device_ids),
               Metric.is_healthy.is_not(None) | Metric.is_healthy_tolerant.is_not(None))
        .values(is_healthy=None, is_healthy_tolerant=None, unhealthy_since=None, unhealthy_value=None)
    )


def organization_disabled(session: Session, *, organization_id: uuid.UUID) -> None:
    """Every device of a disabled organization: ``unknown``, metrics reset, management IP
    cleared (it would be stale by the time the organization is enabled again). Does not
    commit."""
    device_ids = session.scalars(select(Device.id).where(Device.organization_id == organization_id))
    set_status(session, device_ids=device_ids, status="unknown")  # locks them
    session.execute(
        update(Device).where(Device.organization_id == organization_id, Device.management_ip.is_not(None))
        .values(management_ip=None)
    )
