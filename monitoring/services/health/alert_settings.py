"""A metric's alert settings over the API (docs/metrics.md §5.3): the effective values
(custom value, else the registry default) and changing the custom ones.

A custom value equal to the default is stored as null (no custom value), so a default
changed later applies to it; null given explicitly goes back to the default.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import AlertSettings, Device, Metric, User
from monitoring.registry import DEFAULT_ALERT, METRICS, AlertDefault
from monitoring.services.common import get_managed
from monitoring.services.health import judging

# API name -> column of the custom value
CUSTOM_FIELDS = {"operator": "custom_operator", "threshold": "custom_threshold", "tolerance": "custom_tolerance"}


@dataclass(frozen=True)
class AlertSettingsView:
    metric_id: uuid.UUID
    is_active: bool
    operator: str
    threshold: float
    tolerance: int
    defaults: AlertDefault


def _settings(user: User, device_id: uuid.UUID, metric_id: uuid.UUID) -> tuple[Metric, AlertSettings]:
    get_managed(Device, device_id, user=user, label="Device")
    metric = db.session.get(Metric, metric_id)
    if metric is None or metric.device_id != device_id:
        errors.not_found("Metric")
    if metric.alert_settings is None:
        errors.not_found("AlertSettings")
    return metric, metric.alert_settings


def _view(metric: Metric) -> AlertSettingsView:
    operator, threshold, tolerance = judging.effective_alert(metric)
    return AlertSettingsView(metric.id, metric.alert_settings.is_active, operator, threshold, tolerance,
                             METRICS[metric.configuration].alert or DEFAULT_ALERT)


def get(*, user: User, device_id: uuid.UUID, metric_id: uuid.UUID) -> AlertSettingsView:
    metric, _ = _settings(user, device_id, metric_id)
    return _view(metric)


def update(*, user: User, device_id: uuid.UUID, metric_id: uuid.UUID, data: dict) -> AlertSettingsView:
    """Apply validated values (all of them, or, as the schema rejects first, none)."""
    metric, settings = _settings(user, device_id, metric_id)
    defaults = METRICS[metric.configuration].alert or DEFAULT_ALERT
    if "is_active" in data:
        settings.is_active = data["is_active"]
    for name, column in CUSTOM_FIELDS.items():
        if name in data:
            value = data[name]
            setattr(settings, column, None if value == getattr(defaults, name) else value)
    db.session.commit()
    return _view(metric)
