"""Metric health flags and device status (spec metrics.md §5.2–5.5).

Only real-time samples are judged: a point older than five minutes is history and never
changes health. ``is_healthy`` follows the latest value immediately; ``is_healthy_tolerant``
only turns unhealthy once the threshold has been crossed for the tolerance period.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from monitoring.registry import CRITICAL_DEVICE_METRICS, DEFAULT_ALERT, METRICS

HISTORICAL_AGE = timedelta(minutes=5)
# Tolerances shorter than this behave as zero (spec: TOLERANCE_INTERVAL, 300 s).
TOLERANCE_INTERVAL = timedelta(seconds=300)

MetricKey = tuple[str, str]


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
    return value > threshold if operator == ">" else value < threshold


def evaluate(metrics: dict, alert_values: dict[MetricKey, float]) -> list:
    """Update the flags of the metrics that have alert settings; returns those that changed.

    ``metrics`` maps (configuration, ifname) to metric rows or states (anything with the
    model's attribute names).

    With a tolerance, a first assessment or a recovery that is not yet confirmed keeps the
    tolerant flag as it is; the look-back over stored points decides the rest.
    """
    changed = []
    for key, value in alert_values.items():
        metric = metrics.get(key)
        if metric is None or metric.alert_settings is None:
            continue
        operator, threshold, tolerance = effective_alert(metric)
        is_crossed = crossed(value, operator, threshold)
        healthy = not is_crossed
        tolerant = metric.is_healthy_tolerant
        if timedelta(minutes=tolerance) < TOLERANCE_INTERVAL:
            tolerant = healthy
        elif tolerant is None:
            tolerant = True  # fewer than two offending points: nothing confirmed yet
        if metric.is_healthy != healthy or metric.is_healthy_tolerant != tolerant:
            metric.is_healthy, metric.is_healthy_tolerant = healthy, tolerant
            changed.append(metric)
    return changed


def device_status(metrics: list) -> str:
    """``problem`` if any metric is unhealthy, ``critical`` if every critical metric is,
    else ``ok``."""
    unhealthy = [m for m in metrics if m.is_healthy is False]
    if not unhealthy:
        return "ok"
    critical = {(m.key, m.field_name) for m in unhealthy} & set(CRITICAL_DEVICE_METRICS)
    if CRITICAL_DEVICE_METRICS and len(critical) == len(CRITICAL_DEVICE_METRICS):
        return "critical"
    return "problem"


def changed_status(current: str, metrics: list) -> str | None:
    """The device's new status after a health change, or None if it stays (a deactivated
    device keeps its status whatever its metrics say)."""
    if current == "deactivated":
        return None
    status = device_status(metrics)
    return status if status != current else None
