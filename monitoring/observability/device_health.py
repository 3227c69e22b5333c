"""Devices by health status and organization, counted at scrape time for alerting
(e.g. ``monitoring_devices{status="critical"} > 0``).

One grouped query over ``device_monitoring`` per scrape: it is the current state, so it is
read rather than tracked in counters that every worker would have to keep in step.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from monitoring.extensions import db, rollback_session
from monitoring.models import HEALTH_STATUSES, Device, DeviceMonitoring, Organization

logger = logging.getLogger(__name__)


def devices_by_status() -> list[tuple[str, str, str, int]]:
    """``(organization id, organization slug, status, devices)`` for every organization
    that has devices."""
    rows = db.session.execute(
        select(Organization.id, Organization.slug, DeviceMonitoring.status, func.count())
        .select_from(DeviceMonitoring)
        .join(Device, Device.id == DeviceMonitoring.device_id)
        .join(Organization, Organization.id == Device.organization_id)
        .group_by(Organization.id, Organization.slug, DeviceMonitoring.status)
    ).all()
    return [(str(org_id), slug, status, count) for org_id, slug, status, count in rows]


class DeviceHealthCollector:
    """A prometheus-client collector; every status of an organization is reported, zeros
    included, so an alert on a status never sees a series vanish and come back."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "monitoring_devices", "Devices by health status, per organization.",
            labels=["organization_id", "organization", "status"],
        )
        try:
            rows = devices_by_status()
        except SQLAlchemyError:
            # The scrape still reports everything else; the failure is counted among the
            # database errors and logged here.
            rollback_session()
            logger.warning("devices by health status: database query failed", exc_info=True)
            return
        counts: dict[tuple[str, str], dict[str, int]] = {}
        for org_id, slug, status, count in rows:
            counts.setdefault((org_id, slug), dict.fromkeys(HEALTH_STATUSES, 0))[status] = count
        for (org_id, slug), by_status in sorted(counts.items(), key=lambda item: item[0][1]):
            for status, count in by_status.items():
                family.add_metric([org_id, slug, status], count)
        yield family
