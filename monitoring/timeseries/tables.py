"""The hypertables: one per measurement family, with typed columns.

Every row carries what its queries filter on: the device, the interface where there is one,
and, for the families that feed the dashboard (traffic, WiFi clients), the organization,
location and floorplan the device had when the sample was written. The primary key starts
with the device and ends with the time, so "one device over a range" is an index range scan,
and a resent sample (same device, same time) collides with itself instead of duplicating
points. See docs/timeseries.md.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Float, Index, Numeric, SmallInteger, String, Table
from sqlalchemy.dialects.postgresql import UUID

from monitoring.extensions import db

metadata = db.metadata


COUNTER = Numeric(20, 0)


def _time() -> Column:
    return Column("time", DateTime(timezone=True), nullable=False)


def _device() -> Column:
    return Column("device_id", UUID(as_uuid=True), nullable=False)


def _ifname() -> Column:
    return Column("ifname", String(64), nullable=False)


def _dashboard_tags() -> list[Column]:
    return [
        Column("organization_id", UUID(as_uuid=True), nullable=False),
        Column("location_id", UUID(as_uuid=True)),
        Column("floorplan_id", UUID(as_uuid=True)),
    ]


traffic_points = Table(
    "traffic_points", metadata,
    _time(), _device(), _ifname(), *_dashboard_tags(),
    # Bytes moved since the previous sample (counter increments, resets and wrap-arounds
    # handled). The kernel's counters are 64-bit unsigned: exact 20-digit numbers hold them.
    Column("rx_bytes", COUNTER, nullable=False),
    Column("tx_bytes", COUNTER, nullable=False),
    # The raw counters, so a back-filled sample finds its predecessor's values.
    Column("rx_counter", COUNTER),
    Column("tx_counter", COUNTER),
    Index("ix_traffic_points_org_time", "organization_id", "time"),
)
traffic_points.append_constraint(
    db.PrimaryKeyConstraint("device_id", "ifname", "time", name="pk_traffic_points")
)

wifi_client_points = Table(
    "wifi_client_points", metadata,
    _time(), _device(), _ifname(), *_dashboard_tags(),
    Column("client_mac", String(17), nullable=False),
    Index("ix_wifi_client_points_org_time", "organization_id", "time"),
)
wifi_client_points.append_constraint(
    db.PrimaryKeyConstraint("device_id", "ifname", "time", "client_mac", name="pk_wifi_client_points")
)

cpu_points = Table(
    "cpu_points", metadata,
    _time(), _device(),
    Column("cpu_usage", Float, nullable=False),
    Column("load_1", Float), Column("load_5", Float), Column("load_15", Float),
)
cpu_points.append_constraint(db.PrimaryKeyConstraint("device_id", "time", name="pk_cpu_points"))

memory_points = Table(
    "memory_points", metadata,
    _time(), _device(),
    Column("percent_used", Float, nullable=False),
    Column("total_memory", BigInteger), Column("free_memory", BigInteger),
    Column("buffered_memory", BigInteger), Column("shared_memory", BigInteger),
    Column("cached_memory", BigInteger), Column("available_memory", BigInteger),
)
memory_points.append_constraint(db.PrimaryKeyConstraint("device_id", "time", name="pk_memory_points"))

disk_points = Table(
    "disk_points", metadata,
    _time(), _device(),
    Column("used_disk", Float, nullable=False),
)
disk_points.append_constraint(db.PrimaryKeyConstraint("device_id", "time", name="pk_disk_points"))

# The three mobile metrics (strength, quality, access technology) share one measurement.
signal_points = Table(
    "signal_points", metadata,
    _time(), _device(), _ifname(),
    Column("signal_strength", Float), Column("signal_power", Float),
    Column("signal_quality", Float), Column("snr", Float),
    Column("access_tech", SmallInteger),
)
signal_points.append_constraint(db.PrimaryKeyConstraint("device_id", "ifname", "time", name="pk_signal_points"))

HYPERTABLES = (traffic_points, wifi_client_points, cpu_points, memory_points, disk_points, signal_points)
