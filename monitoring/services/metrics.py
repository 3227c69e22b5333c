"""Metric rows of a device: created on first sight with their alert settings and charts."""
from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from monitoring.models import AlertSettings, Chart, Metric
from monitoring.registry import DEFAULT_AUTO_CHARTS, METRICS, charts_for

MetricKey = tuple[str, str]


def device_metrics(session: Session, *, device_id: uuid.UUID) -> dict[MetricKey, Metric]:
    metrics = session.scalars(select(Metric).where(Metric.device_id == device_id)).unique()
    return {(metric.configuration, metric.ifname): metric for metric in metrics}


def ensure_metrics(
    session: Session, *, device_id: uuid.UUID, names: dict[MetricKey, str]
) -> dict[MetricKey, Metric]:
    """Every metric of the device, creating those in ``names`` it does not have yet.

    Creation is ``INSERT … ON CONFLICT DO NOTHING``: two samples of a new device arriving
    together create each metric once.
    """
    metrics = device_metrics(session, device_id=device_id)
    missing = [key for key in names if key not in metrics]
    if not missing:
        return metrics
    auto_charts = current_app.config.get("AUTO_CHARTS", DEFAULT_AUTO_CHARTS)
    for configuration, ifname in missing:
        config = METRICS[configuration]
        metric_id = session.execute(
            insert(Metric)
            .values(
                id=uuid.uuid4(), device_id=device_id, configuration=configuration,
                name=names[(configuration, ifname)], key=config.key, field_name=config.field_name,
                ifname=ifname,
            )
            .on_conflict_do_nothing(index_elements=["device_id", "configuration", "ifname"])
            .returning(Metric.id)
        ).scalar()
        if metric_id is None:
            continue  # created meanwhile by a concurrent sample, with its settings and charts
        if config.alert is not None:
            session.add(AlertSettings(metric_id=metric_id))
        for chart in charts_for(configuration, auto_charts):
            session.add(Chart(metric_id=metric_id, configuration=chart))
    session.flush()
    return device_metrics(session, device_id=device_id)
