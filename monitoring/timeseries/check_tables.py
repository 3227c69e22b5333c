"""The hypertables of the active checks besides ``ping_points`` (``chart_tables.py``): the
data-collected verdicts and the WiFi client counts. Their points are what the tolerance
look-back of those metrics reads (``registry.ALERT_SOURCES``)."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, PrimaryKeyConstraint, SmallInteger, Table
from sqlalchemy.dialects.postgresql import UUID

from monitoring.extensions import db

metadata = db.metadata


def _time() -> Column:
    return Column("time", DateTime(timezone=True), nullable=False)


def _device() -> Column:
    return Column("device_id", UUID(as_uuid=True), nullable=False)


# 1 when the device sent a sample within the check's interval, else 0. Nothing charts it;
# the tolerance looks back at it, and availability reports read it over their whole range,
# so it is kept as long as the ping points.
data_collected_points = Table(
    "data_collected_points", metadata, _time(), _device(),
    Column("data_collected", SmallInteger, nullable=False),
    PrimaryKeyConstraint("device_id", "time", name="pk_data_collected_points"),
)

# Distinct WiFi clients seen over the short (max) and the long (min) window of the check.
wifi_client_count_points = Table(
    "wifi_client_count_points", metadata, _time(), _device(),
    Column("clients_max", Integer, nullable=False),
    Column("clients_min", Integer, nullable=False),
    PrimaryKeyConstraint("device_id", "time", name="pk_wifi_client_count_points"),
)

CHECK_HYPERTABLES = (data_collected_points, wifi_client_count_points)
# Retention class "short" (docs/metrics.md §4, ``SHORT_RETENTION_DAYS``): no table of the
# application by default.
SHORT_RETENTION_TABLES: tuple[str, ...] = ()
