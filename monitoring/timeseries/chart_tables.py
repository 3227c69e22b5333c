"""The tables charts read besides the raw hypertables of ``tables.py``: the ping points of
the active checks, and the rollups that long ranges read instead of raw points.

A rollup row sums up the points of one period: ``grain`` is its length (a day, an hour, or
ten minutes for the dashboard's short ranges) and ``time`` its start. One hypertable per
family holds every grain:

- numeric families (ping, cpu, memory, disk, signal, traffic): per device (and interface for
  traffic), ``<field>_sum`` as an exact ``numeric`` and ``<field>_count``; a mean or a sum
  over any set of periods is then exact, whatever the order of additions;
- the access technology: per device and value, how many samples and the first time seen,
  so the most frequent value (ties: the earliest) of any set of periods is exact;
- WiFi clients: the distinct client MACs per device and interface as bitmaps of dense
  client ids (``rollup_client_ids``), split in pages of ``CLIENT_PAGE_BITS`` ids; the union
  of any set of periods is a ``bit_or`` per page, and its population count the exact number
  of unique clients;
- the two dashboard families (traffic, WiFi clients) also per organization, location and
  floorplan (the tags the dashboard filters on), so a network-wide chart reads one row per
  group and period instead of one per device.

``rollup_state`` holds the watermark: every period before it reflects the raw points older
than it, except the hours listed in ``rollup_backlog`` (per device; a null device: every
device): hours that received points after they were rolled up (late samples), which charts
read raw until the next refresh recomputes them. ``pending`` is the watermark a refresh has
announced and is about to reach (monitoring/timeseries/rollups.py).
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
    Interval,
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


def _period() -> list[Column]:
    return [Column("grain", Interval, nullable=False), Column("time", DateTime(timezone=True), nullable=False)]


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


def sum_columns(*fields: str) -> list[str]:
    """The columns holding numeric fields' partial aggregates, ``<field>_sum`` and
    ``<field>_count`` of each, in that order: in rollups and in chart statements alike."""
    return [f"{name}_{part}" for name in fields for part in ("sum", "count")]


def _sums(*fields: str) -> list[Column]:
    columns = []
    for name in fields:
        total, count = sum_columns(name)
        columns.append(Column(total, Numeric))
        columns.append(Column(count, BigInteger, nullable=False))
    return columns


def _clients() -> list[Column]:
    return [Column("page", Integer, nullable=False), Column("clients", BIT(CLIENT_PAGE_BITS), nullable=False)]


def _group_indexes(name: str, *columns: str) -> list[Index]:
    return [
        # Location and floorplan are often null: one row per group all the same.
        Index(f"uq_{name}", "organization_id", "location_id", "floorplan_id", *columns, "grain", "time",
              unique=True, postgresql_nulls_not_distinct=True),
        # Network-wide reads take every group's rows of a grain and a range.
        Index(f"ix_{name}_grain_time", "grain", "time"),
    ]


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


# The device rollups' keys include every aggregate (migration 0008): a chart reads its rows
# with an index-only scan instead of one heap page per period.
def _device_sums(name: str, *fields: str) -> Table:
    return Table(name, metadata, _device(), *_period(), *_sums(*fields),
                 PrimaryKeyConstraint("device_id", "grain", "time", name=f"pk_{name}",
                                      postgresql_include=sum_columns(*fields)))


ping_rollups = _device_sums("ping_rollups", *PING_FIELDS)
cpu_rollups = _device_sums("cpu_rollups", "cpu_usage")
memory_rollups = _device_sums("memory_rollups", "percent_used")
disk_rollups = _device_sums("disk_rollups", "used_disk")
# The signal charts read every mobile interface of the device together (no interface filter).
signal_rollups = _device_sums("signal_rollups", *SIGNAL_FIELDS)
access_tech_rollups = Table(
    "access_tech_rollups", metadata, _device(), Column("access_tech", SmallInteger, nullable=False), *_period(),
    Column("samples", BigInteger, nullable=False),
    Column("first_time", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("device_id", "access_tech", "grain", "time", name="pk_access_tech_rollups",
                         postgresql_include=["samples", "first_time"]),
)
traffic_rollups = Table(
    "traffic_rollups", metadata, _device(), _ifname(), *_period(), *_sums(*TRAFFIC_FIELDS),
    PrimaryKeyConstraint("device_id", "ifname", "grain", "time", name="pk_traffic_rollups",
                         postgresql_include=sum_columns(*TRAFFIC_FIELDS)),
)
traffic_group_rollups = Table(
    "traffic_group_rollups", metadata, *_groups(), _ifname(), *_period(), *_sums(*TRAFFIC_FIELDS),
    *_group_indexes("traffic_group_rollups", "ifname"),
)
wifi_client_rollups = Table(
    "wifi_client_rollups", metadata, _device(), _ifname(), *_period(), *_clients(),
    PrimaryKeyConstraint("device_id", "ifname", "grain", "time", "page", name="pk_wifi_client_rollups",
                         postgresql_include=["clients"]),
)
wifi_client_group_rollups = Table(
    "wifi_client_group_rollups", metadata, *_groups(), *_period(), *_clients(),
    *_group_indexes("wifi_client_group_rollups", "page"),
)

# Dense ids for client MACs, assigned by the refresh in order of first sight.
rollup_client_ids = Table(
    "rollup_client_ids", metadata,
    Column("id", Integer, Identity(always=False, start=0, minvalue=0), primary_key=True),
    Column("mac", String(17), nullable=False, unique=True),
)

rollup_state = Table(
    "rollup_state", metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("watermark", DateTime(timezone=True)),  # null until the first refresh commits
    Column("pending", DateTime(timezone=True)),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

# Writers of points hold this advisory lock (shared) from the moment they judge whether their
# points are late until they commit; a refresh takes it (exclusive) to announce its next
# watermark. See monitoring/timeseries/rollups.py.
LATE_POINTS_LOCK_KEY = 0x6C617465  # "late"

# One row per late point's hour (duplicates welcome: a refresh deletes exactly the rows it
# saw, so a mark committed during a refresh survives it).
rollup_backlog = Table(
    "rollup_backlog", metadata,
    Column("device_id", UUID(as_uuid=True)),
    Column("hour", DateTime(timezone=True), nullable=False),
    Index("ix_rollup_backlog_device_hour", "device_id", "hour"),
)

ROLLUP_HYPERTABLES = (
    ping_rollups, cpu_rollups, memory_rollups, disk_rollups, signal_rollups, access_tech_rollups,
    traffic_rollups, traffic_group_rollups, wifi_client_rollups, wifi_client_group_rollups,
)
