"""An organization's maintenance windows over the API, and what each one held.

A window is one-off (a start and an end, or a duration from now for an ad-hoc silence) or
weekly (days, a time of day and a duration in its time zone, between an optional start and
end). It covers the whole organization or some of its devices, device groups and locations.
Whether it is open, and which devices it covers, the database answers (migration 0016), so
an edit or a deletion takes effect at once; what it held back is released by the worker
(``release``).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import (
    Device,
    DeviceGroup,
    HeldNotification,
    Location,
    MaintenanceWindow,
    MaintenanceWindowTarget,
    User,
    utcnow,
)
from monitoring.pagination import paginate
from monitoring.services.common import apply, check_organization, get_managed, related_in_organization
from monitoring.services.filter_choices import by_organization
from monitoring.tenancy import scoped

LABEL = "MaintenanceWindow"
# list of ids -> (its field in the API, target column, model of the ids, in the window's organization)
TARGETS = {"device_ids": ("devices", "device_id", Device), "group_ids": ("groups", "group_id", DeviceGroup),
           "location_ids": ("locations", "location_id", Location)}
COVERS_NOTHING = ("A window covers the whole organization, or some of its devices, device groups or "
                  "locations.")


def list_page(*, user: User, page=None, page_size=None, organization: uuid.UUID | None = None,
              organization_slug: str | None = None, is_open: bool | None = None) -> dict:
    """The windows of the organizations ``user`` manages, the latest start first."""
    statement = scoped(select(MaintenanceWindow), MaintenanceWindow.organization_id, user)
    statement = by_organization(statement, MaintenanceWindow.organization_id, user=user,
                                organization=organization, organization_slug=organization_slug)
    if is_open is not None:
        statement = statement.where(MaintenanceWindow.is_open.is_(is_open))
    return paginate(statement.order_by(MaintenanceWindow.starts_at.desc(), MaintenanceWindow.id),
                    page=page, page_size=page_size)


def get(*, user: User, window_id: uuid.UUID) -> MaintenanceWindow:
    return get_managed(MaintenanceWindow, window_id, user=user, label=LABEL)


def _set_times(window: MaintenanceWindow, data: dict, *, creating: bool) -> None:
    """Start, end (or a duration from the start) and weekly recurrence, checked together
    with what the window already has."""
    if "duration" in data and data.get("ends_at") is not None:
        errors.invalid({"duration": ["Give an end or a duration, not both."]})
    if "starts_at" in data or creating:
        window.starts_at = data.get("starts_at") or utcnow()
    if "ends_at" in data:
        window.ends_at = data["ends_at"]
    if "duration" in data:
        window.ends_at = window.starts_at + timedelta(minutes=data["duration"])
    if "timezone" in data:
        window.timezone = data["timezone"]
    if "recurrence" in data:
        recurrence = data["recurrence"] or {}
        window.recurrence_days = sorted(set(recurrence["days"])) if recurrence else None
        window.recurrence_time = recurrence.get("time")
        window.recurrence_minutes = recurrence.get("duration")
    if window.recurrence_days is None and window.ends_at is None:
        errors.invalid({"end": ["A window without recurrence needs an end or a duration."]})
    if window.ends_at is not None and window.ends_at <= window.starts_at:
        errors.invalid({"end": ["The end must be after the start."]})


def _set_targets(window: MaintenanceWindow, data: dict) -> None:
    """What the window covers; lists given replace the window's lists of that kind."""
    if "whole_organization" in data:
        window.whole_organization = data["whole_organization"]
    wanted = {ids: data[ids] if ids in data else getattr(window, ids) for ids in TARGETS}
    if window.whole_organization == any(wanted.values()):
        errors.invalid({"whole_organization": [COVERS_NOTHING]})
    targets = []
    for ids, object_ids in wanted.items():
        field, column, model = TARGETS[ids]
        for object_id in dict.fromkeys(object_ids):
            related_in_organization(model, object_id, organization_id=window.organization_id, field=field)
            targets.append(MaintenanceWindowTarget(**{column: object_id}))
    window.targets = targets


def create(*, user: User, data: dict) -> MaintenanceWindow:
    check_organization(data["organization_id"], user=user)
    window = MaintenanceWindow(organization_id=data["organization_id"], whole_organization=False, timezone="UTC")
    _save(window, data, creating=True)
    return window


def update(*, user: User, window_id: uuid.UUID, data: dict) -> MaintenanceWindow:
    """Change a window, open or not: what it covers from now on is what it says now."""
    window = get(user=user, window_id=window_id)
    if data.get("organization_id", window.organization_id) != window.organization_id:
        errors.invalid({"organization": ["The organization of a maintenance window cannot be changed."]})
    _save(window, data, creating=False)
    return window


def _save(window: MaintenanceWindow, data: dict, *, creating: bool) -> None:
    try:
        apply(window, {name: data[name] for name in ("name", "description") if name in data})
        _set_times(window, data, creating=creating)
        _set_targets(window, data)
    except Exception:
        db.session.rollback()  # nothing of a refused change may be flushed later
        raise
    db.session.add(window)
    db.session.commit()
    db.session.refresh(window)  # ``is_open`` as the database computes it


def delete(*, user: User, window_id: uuid.UUID) -> None:
    """Delete a window; what it held is released by the worker as when a window ends."""
    window = get(user=user, window_id=window_id)
    db.session.delete(window)
    db.session.commit()


def held_page(*, user: User, window_id: uuid.UUID, page=None, page_size=None) -> dict:
    """The notifications the window held back, the latest first."""
    get(user=user, window_id=window_id)
    statement = select(HeldNotification).where(HeldNotification.window_id == window_id)
    return paginate(statement.order_by(HeldNotification.event_time.desc(), HeldNotification.id),
                    page=page, page_size=page_size)


@dataclass(frozen=True)
class Span:
    """An occurrence of a maintenance window covering a device (cut to the window's own
    start and end)."""

    window_id: uuid.UUID
    name: str
    begins: datetime
    ends: datetime


# Each device's spans, its windows' names beside them.
_DEVICE_SPANS = """
SELECT d.device_id, s.window_id, w.name, s.begins, s.ends
FROM unnest(CAST(:devices AS uuid[])) AS d(device_id)
CROSS JOIN LATERAL device_maintenance_spans(d.device_id, :lower, :upper) AS s
JOIN maintenance_windows w ON w.id = s.window_id
ORDER BY d.device_id, s.begins, w.name, s.window_id
"""


def device_spans(device_ids: list[uuid.UUID], lower: datetime, upper: datetime) -> dict[uuid.UUID, list[Span]]:
    """When each device was covered by maintenance windows within [lower, upper): every
    occurrence of every window covering it that overlaps the range, by start. The database
    expands the occurrences (migration 0020), as it judges ``is_open``."""
    spans: dict[uuid.UUID, list[Span]] = {}
    if not device_ids:
        return spans
    rows = db.session.execute(text(_DEVICE_SPANS), {"devices": device_ids, "lower": lower, "upper": upper})
    for device_id, *span in rows:
        spans.setdefault(device_id, []).append(Span(*span))
    return spans
