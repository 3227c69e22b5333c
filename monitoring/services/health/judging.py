"""Metric health flags and device status (docs/metrics.md §5.2–5.5).

Only real-time samples are judged: a point older than five minutes is history and never
changes health. ``is_healthy`` follows the latest value immediately; ``is_healthy_tolerant``
turns unhealthy only once the threshold has been crossed for the whole tolerance (two or
more offending points spanning it, none on the other side in between), and drives the
problem and recovery notifications. Device status follows ``is_healthy``.

``judge`` applies these rules to one device, for device samples and active checks alike.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app

from monitoring.registry import CRITICAL_DEVICE_METRICS, DEFAULT_ALERT, METRICS, MetricKey
from monitoring.services.notifications import texts
from monitoring.timeseries import sample_store

HISTORICAL_AGE = timedelta(minutes=5)
# Tolerances shorter than this behave as zero (spec: TOLERANCE_INTERVAL, 300 s).
TOLERANCE_INTERVAL = timedelta(seconds=300)
# The reference does not alert on missing data while the device is critical: the ping
# problem already said it.
SILENT_WHEN_CRITICAL = frozenset({"data_collected"})

# (metric, since, until) -> stored (time, value) points of its alert field in [since, until)
Lookback = Callable[[Any, datetime, datetime], list[tuple[datetime, float]]]


@dataclass
class HealthChange:
    metric: Any
    notification: str | None  # "problem", "recovery", or None (no notification)
    value: float  # the reading that changed the flags, and when it was measured
    at: datetime


def is_historical(time: datetime, *, now: datetime) -> bool:
    return time < now - HISTORICAL_AGE


def effective_alert(metric) -> tuple[str, float, int]:
    """(operator, threshold, tolerance minutes): custom values win over registry defaults."""
    default = METRICS[metric.configuration].alert or DEFAULT_ALERT
    settings = metric.alert_settings
    if settings is None:
        return default.operator, default.threshold, default.tolerance
    return (
        settings.custom_operator or default.operator,
        default.threshold if settings.custom_threshold is None else settings.custom_threshold,
        default.tolerance if settings.custom_tolerance is None else settings.custom_tolerance,
    )


def crossed(value: float, operator: str, threshold: float) -> bool:
    """Strict: a value equal to the threshold has not crossed it."""
    return value > threshold if operator == ">" else value < threshold


def search_window(tolerance: timedelta) -> timedelta:
    """How far back the tolerance looks: further than the tolerance itself, so that a point
    which arrived a little late still counts. A quarter more for tolerances of one to two
    check intervals (as the reference); one check interval more for longer ones, where the
    reference looks back exactly the tolerance and so, with points a few seconds apart from
    a perfect schedule, never finds one old enough to confirm a problem."""
    if TOLERANCE_INTERVAL <= tolerance <= 2 * TOLERANCE_INTERVAL:
        return tolerance * 1.25
    if tolerance > 2 * TOLERANCE_INTERVAL:
        return tolerance + TOLERANCE_INTERVAL
    return tolerance


def tolerance_crossed(metric, value: float, *, operator: str, threshold: float, tolerance: timedelta,
                      at: datetime, lookback: Lookback) -> bool:
    """Whether the tolerant flag should say "crossed" after writing ``value`` at ``at``."""
    is_crossed = crossed(value, operator, threshold)
    if tolerance == timedelta(0) or tolerance < TOLERANCE_INTERVAL:
        return is_crossed
    tolerant = metric.is_healthy_tolerant
    # The value agrees with the current tolerant state: every branch below would keep it.
    if (is_crossed and tolerant is False) or (not is_crossed and tolerant is True):
        return is_crossed
    since = at - search_window(tolerance)
    points = [*lookback(metric, since, at), (at, value)]
    offending = sorted(time for time, v in points if crossed(v, operator, threshold) == is_crossed)
    if len(offending) < 2 or at - offending[0] < tolerance:
        return tolerant is False  # not confirmed yet: keep the state (null counts as healthy)
    if any(crossed(v, operator, threshold) != is_crossed for _, v in points):
        # Flapping: keep the state. (The reference counts a never-assessed state as crossed
        # here, alerting on a healthy value; null stays healthy, as in the branch above.)
        return tolerant is False
    return is_crossed


def evaluate(metrics: dict, alert_values: dict[MetricKey, float], *, at: datetime,
             lookback: Lookback) -> list[HealthChange]:
    """Update the flags of the metrics that have alert settings after a real-time write at
    ``at``; returns the metrics whose flags changed, with the notification each calls for.

    ``metrics`` maps (configuration, ifname) to metric rows or states (anything with the
    model's attribute names).
    """
    changes = []
    for key, value in alert_values.items():
        metric = metrics.get(key)
        if metric is None or metric.alert_settings is None:
            continue
        operator, threshold, tolerance = effective_alert(metric)
        healthy = not crossed(value, operator, threshold)
        result = tolerance_crossed(metric, value, operator=operator, threshold=threshold,
                                   tolerance=timedelta(minutes=tolerance), at=at, lookback=lookback)
        notification, tolerant = None, metric.is_healthy_tolerant
        if result and tolerant is not False:
            tolerant, notification = False, "problem"  # a first assessment that is unhealthy notifies too
        elif not result and tolerant is False:
            tolerant, notification = True, "recovery"
        elif not result and tolerant is None:
            tolerant = True  # first assessment, healthy: nothing to tell
        if not metric.alert_settings.is_active:
            notification = None  # flags and status still change; nobody is told
        if metric.is_healthy != healthy or metric.is_healthy_tolerant != tolerant:
            metric.is_healthy, metric.is_healthy_tolerant = healthy, tolerant
            changes.append(HealthChange(metric, notification, value, at))
    return changes


def critical_device_metrics() -> tuple[tuple[str, str], ...]:
    """(key, field) of the metrics whose unhealthiness together makes a device critical:
    ping's, and data collected's only when devices get that check automatically
    (``AUTO_DATA_COLLECTED_CHECK``), as the reference defines them."""
    automatic = current_app.config["AUTO_DATA_COLLECTED_CHECK"]
    return tuple(metric for metric in CRITICAL_DEVICE_METRICS if automatic or metric[0] != "data_collected")


def device_status(metrics: list) -> str:
    """``problem`` if any metric is unhealthy, ``critical`` if every critical metric is,
    else ``ok``."""
    unhealthy = [m for m in metrics if m.is_healthy is False]
    if not unhealthy:
        return "ok"
    definitions = critical_device_metrics()
    critical = {(m.key, m.field_name) for m in unhealthy} & set(definitions)
    if definitions and len(critical) == len(definitions):
        return "critical"
    return "problem"


def changed_status(current: str, metrics: list) -> str | None:
    """The device's new status after a health change, or None if it stays (a deactivated
    device keeps its status whatever its metrics say)."""
    if current == "deactivated":
        return None
    status = device_status(metrics)
    return status if status != current else None


# --- judging a device -------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """A real-time value of a metric's alert field, as a sample or a check measured it."""

    key: MetricKey
    value: float
    at: datetime


class JudgedDevice(Protocol):
    """What judging needs to know of the device: who is told, and what about."""

    id: uuid.UUID
    name: str
    organization_id: uuid.UUID


@dataclass
class Verdict:
    """What judging a device's readings changed."""

    changes: int  # metrics whose flags changed
    notifications: int
    status: str | None  # the device's new status, None when it stays


def judge(cursor, batch: sample_store.WriteBatch, *, device: JudgedDevice, state: sample_store.DeviceState,
          readings: Iterable[Reading], now: datetime) -> Verdict:
    """Judge a device's real-time readings against its locked ``state`` and add to ``batch``
    what follows: the changed flags, the problem and recovery notifications, the end of its
    WiFi sessions when a critical metric goes down, its new status (and, with
    ``AUTO_CLEAR_MANAGEMENT_IP``, the end of its management IP once critical). Device
    samples and active checks both come through here, so they judge alike."""
    def lookback(metric, since, until):
        return sample_store.alert_points(cursor, device.id, metric, since, until)

    was_tolerant = {key: metric.is_healthy_tolerant for key, metric in state.metrics.items()}
    changes = [change for reading in readings
               for change in evaluate(state.metrics, {reading.key: reading.value}, at=reading.at,
                                      lookback=lookback)]
    notified = 0
    for change in changes:
        batch.metric_health(change.metric, value=change.value, at=change.at)
        if _notifies(change, status=state.status):
            batch.notification(device_id=device.id, organization_id=device.organization_id, metric=change.metric,
                               at=now, **texts.for_change(
                                   configuration=change.metric.configuration, kind=change.notification,
                                   device_id=device.id, device_name=device.name,
                                   threshold=effective_alert(change.metric)[1]))
            notified += 1
    if state.open_sessions and _went_down(changes, was_tolerant):
        batch.close_sessions([session.id for session in state.open_sessions], now, now)
    status = changed_status(state.status, list(state.metrics.values())) if changes else None
    if status is not None:
        batch.device_status(device.id, status, now)
        if status == "critical" and current_app.config["AUTO_CLEAR_MANAGEMENT_IP"]:
            batch.clear_management_ip(device.id)
    return Verdict(changes=len(changes), notifications=notified, status=status)


def _notifies(change: HealthChange, *, status: str) -> bool:
    """Whether the change is told, the device's ``status`` being the one before it."""
    return change.notification is not None and not (
        status == "critical" and change.metric.configuration in SILENT_WHEN_CRITICAL)


def _went_down(changes: list[HealthChange], was_tolerant: dict) -> bool:
    """Whether a critical metric went from healthy to unhealthy past its tolerance: the
    device stopped answering, and its WiFi clients are gone too. (A first assessment that
    is unhealthy is no going down.)"""
    critical = critical_device_metrics()
    return any(
        (change.metric.key, change.metric.field_name) in critical
        and was_tolerant.get((change.metric.configuration, change.metric.ifname)) is True
        and change.metric.is_healthy_tolerant is False
        for change in changes
    )
