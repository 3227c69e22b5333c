"""The tables charts read besides the raw hypertables of ``tables.py``: the ping points of
the active checks, and the rollups that long ranges read instead of raw points.

Rollups are hypertables keyed by ``time``, the start of the period a row sums up (an hour;
ten minutes for the dashboard's short ranges):

- numeric families (ping, cpu, memory, disk, signal, traffic): per device (and interface for
  traffic) and hour, ``<field>_sum`` as an exact ``numeric`` and ``<field>_count``; a mean
  or a sum over any set of periods is then exact, whatever the order of additions;
- the access technology: per device, hour and value, how many samples and the first time
  seen, so the most frequent value (ties: the earliest) of any set of hours is exact;
- WiFi clients: the distinct client MACs per device, interface and hour as bitmaps of dense
  client ids (``rollup_client_ids``), split in pages of ``CLIENT_PAGE_BITS`` ids; the union
  of any set of periods is a ``bit_or`` per page, and its population count the exact number
  of unique clients;
- the two dashboard families (traffic, WiFi clients) also per organization, location and
  floorplan (the tags the dashboard filters on), so a network-wide chart reads one row per
  group and period instead of one per device; by hour, and by ten minutes for the 10- and
  20-minute buckets of the 1-3 day ranges (and for zones whose offset is not whole hours).

``rollup_state`` holds the watermark: every period before it reflects the raw points older
than it. ``rollup_backlog`` lists hours written to after they were rolled up (late samples),
recomputed by the next refresh.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.dialects.postgresql import BIT, UUID

from monitoring.extensions import db

metadata = db.metadata

# Client ids per bitmap page: 1024 bits are 128 bytes, small enough that a device's handful
# of clients costs little, large enough that a network's thousands fit in a few pages.
CLIENT_PAGE_BITS = 1024


def _period() -> Column:
    return Column("time", DateTime(timezone=True), nullable=False)


def _device() -> Column:
    return Column("device_id", UUID(as_uuid=True), nullable=False)


def _ifname() -> Column:
    return Column("ifname", String(64), nullable=False)


def _groups() -> list[Column]:
    return [
        Column("organization_id", UUID(as_uuid=True), nullable=False),
        Column("location_id", UUID(as_uuid=True)),
        Column("floorplan_id", UUID(as_uuid=True)),
    ]


def _sums(*fields: str) -> list[Column]:
    columns = []
    for name in fields:
        columns.append(Column(f"{name}_sum", Numeric))
        columns.append(Column(f"{name}_count", BigInteger, nullable=False))
    return columns


# --- raw points of the active ping check ------------------------------------------------

ping_points = Table(
    "ping_points", metadata,
    Column("time", DateTime(timezone=True), nullable=False),
    _device(),
    Column("reachable", SmallInteger, nullable=False),
    Column("loss", Float),
    Column("rtt_min", Float), Column("rtt_max", Float), Column("rtt_avg", Float),
    PrimaryKeyConstraint("device_id", "time", name="pk_ping_points"),
)

# --- rollups -------------------------------------------------------------------------------

PING_FIELDS = ("reachable", "loss", "rtt_min", "rtt_max", "rtt_avg")
SIGNAL_FIELDS = ("signal_strength", "signal_power", "signal_quality", "snr")
TRAFFIC_FIELDS = ("rx_bytes", "tx_bytes")

ping_hourly = Table(
    "ping_hourly", metadata, _period(), _device(), *_sums(*PING_FIELDS),
    PrimaryKeyConstraint("device_id", "time", name="pk_ping_hourly"),
)
cpu_hourly = Table(
    "cpu_hourly", metadata, _period(), _device(), *_sums("cpu_usage"),
    PrimaryKeyConstraint("device_id", "time", name="pk_cpu_hourly"),
)
memory_hourly = Table(
    "memory_hourly", metadata, _period(), _device(), *_sums("percent_used"),
    PrimaryKeyConstraint("device_id", "time", name="pk_memory_hourly"),
)
disk_hourly = Table(
    "disk_hourly", metadata, _period(), _device(), *_sums("used_disk"),
    PrimaryKeyConstraint("device_id", "time", name="pk_disk_hourly"),
)
# The signal charts read every mobile interface of the device together (no interface filter).
signal_hourly = Table(
    "signal_hourly", metadata, _period(), _device(), *_sums(*SIGNAL_FIELDS),
    PrimaryKeyConstraint("device_id", "time", name="pk_signal_hourly"),
)
access_tech_hourly = Table(
    "access_tech_hourly", metadata, _period(), _device(),
    Column("access_tech", SmallInteger, nullable=False),
    Column("samples", BigInteger, nullable=False),
    Column("first_time", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("device_id", "access_tech", "time", name="pk_access_tech_hourly"),
)
traffic_hourly = Table(
    "traffic_hourly", metadata, _period(), _device(), _ifname(), *_sums(*TRAFFIC_FIELDS),
    PrimaryKeyConstraint("device_id", "ifname", "time", name="pk_traffic_hourly"),
)


def _traffic_groups(name: str) -> Table:
    return Table(
        name, metadata, _period(), *_groups(), _ifname(), *_sums(*TRAFFIC_FIELDS),
        # Location and floorplan are often null: one row per group all the same.
        Index(f"uq_{name}", "organization_id", "location_id", "floorplan_id", "ifname", "time",
              unique=True, postgresql_nulls_not_distinct=True),
        Index(f"ix_{name}_time", "time"),
    )


def _wifi_client_groups(name: str) -> Table:
    return Table(
        name, metadata, _period(), *_groups(),
        Column("page", Integer, nullable=False),
        Column("clients", BIT(CLIENT_PAGE_BITS), nullable=False),
        Index(f"uq_{name}", "organization_id", "location_id", "floorplan_id", "time", "page",
              unique=True, postgresql_nulls_not_distinct=True),
        Index(f"ix_{name}_time", "time"),
    )


wifi_clients_hourly = Table(
    "wifi_clients_hourly", metadata, _period(), _device(), _ifname(),
    Column("page", Integer, nullable=False),
    Column("clients", BIT(CLIENT_PAGE_BITS), nullable=False),
    PrimaryKeyConstraint("device_id", "ifname", "time", "page", name="pk_wifi_clients_hourly"),
)
traffic_hourly_groups = _traffic_groups("traffic_hourly_groups")
traffic_10min_groups = _traffic_groups("traffic_10min_groups")
wifi_clients_hourly_groups = _wifi_client_groups("wifi_clients_hourly_groups")
wifi_clients_10min_groups = _wifi_client_groups("wifi_clients_10min_groups")

# Dense ids for client MACs, assigned by the refresh in order of first sight.
rollup_client_ids = Table(
    "rollup_client_ids", metadata,
    Column("id", Integer, Identity(always=False, start=0, minvalue=0), primary_key=True),
    Column("mac", String(17), nullable=False, unique=True),
)

rollup_state = Table(
    "rollup_state", metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("watermark", DateTime(timezone=True), nullable=False),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

rollup_backlog = Table(
    "rollup_backlog", metadata,
    Column("hour", DateTime(timezone=True), primary_key=True),
)

ROLLUP_HYPERTABLES = (
    ping_hourly, cpu_hourly, memory_hourly, disk_hourly, signal_hourly, access_tech_hourly,
    traffic_hourly, traffic_hourly_groups, traffic_10min_groups,
    wifi_clients_hourly, wifi_clients_hourly_groups, wifi_clients_10min_groups,
)
