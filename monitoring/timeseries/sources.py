"""Where each measurement's points live: its raw hypertable and its rollups.

The chart registry names measurements and fields; this maps them to tables, so the chart
queries and the rollup refresh are both generated from one description.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table

from monitoring.timeseries import chart_tables as ct
from monitoring.timeseries import tables as raw

NUMERIC = "numeric"  # per field: exact sum and count (means and sums)
MODE = "mode"  # per value: samples and first time seen (most frequent value)
DISTINCT = "distinct"  # distinct values as bitmaps of dense ids (unique counts)

TEN_MINUTES = timedelta(minutes=10)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Rollup:
    kind: str
    table: Table
    # The columns besides ``grain`` and ``time`` that identify a row: a query can read this
    # rollup when it filters on these columns only.
    keys: tuple[str, ...]
    fields: tuple[str, ...]
    # The periods its rows sum up, finest first: the finest is computed from raw points,
    # each coarser one from the one before.
    grains: tuple[timedelta, ...] = (HOUR, DAY)


@dataclass(frozen=True)
class Measurement:
    raw: Table
    rollups: tuple[Rollup, ...]

    def rollups_for(self, kind: str, fields: tuple[str, ...], filtered: set[str]) -> list[Rollup]:
        """The rollups that hold these fields and can apply these filters, smaller ones (one
        row per group, not per device) first."""
        return [rollup for rollup in self.rollups
                if rollup.kind == kind and set(fields) <= set(rollup.fields) and filtered <= set(rollup.keys)]


GROUP_KEYS = ("organization_id", "location_id", "floorplan_id")
# The dashboard's 1-3 day ranges have 10- and 20-minute buckets.
GROUP_GRAINS = (TEN_MINUTES, HOUR, DAY)

MEASUREMENTS: dict[str, Measurement] = {
    "ping": Measurement(ct.ping_points, (
        Rollup(NUMERIC, ct.ping_rollups, ("device_id",), ct.PING_FIELDS),
    )),
    "cpu": Measurement(raw.cpu_points, (
        Rollup(NUMERIC, ct.cpu_rollups, ("device_id",), ("cpu_usage",)),
    )),
    "memory": Measurement(raw.memory_points, (
        Rollup(NUMERIC, ct.memory_rollups, ("device_id",), ("percent_used",)),
    )),
    "disk": Measurement(raw.disk_points, (
        Rollup(NUMERIC, ct.disk_rollups, ("device_id",), ("used_disk",)),
    )),
    "signal": Measurement(raw.signal_points, (
        Rollup(NUMERIC, ct.signal_rollups, ("device_id",), ct.SIGNAL_FIELDS),
        Rollup(MODE, ct.access_tech_rollups, ("device_id",), ("access_tech",)),
    )),
    "traffic": Measurement(raw.traffic_points, (
        Rollup(NUMERIC, ct.traffic_group_rollups, (*GROUP_KEYS, "ifname"), ct.TRAFFIC_FIELDS, GROUP_GRAINS),
        Rollup(NUMERIC, ct.traffic_rollups, ("device_id", "ifname"), ct.TRAFFIC_FIELDS),
    )),
    "wifi_clients": Measurement(raw.wifi_client_points, (
        Rollup(DISTINCT, ct.wifi_client_group_rollups, GROUP_KEYS, ("client_mac",), GROUP_GRAINS),
        Rollup(DISTINCT, ct.wifi_client_rollups, ("device_id", "ifname"), ("client_mac",)),
    )),
}
