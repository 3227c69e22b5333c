"""The SQL of availability reports (docs/availability.md): the verdict of each device in each
five-minute slot, from the points of the ping and data-collected checks, and their rollups.

A slot is *monitored* when a check left a point in it; it is *down* when the device's ping
points in it all say unreachable, or its data-collected points in it all say no data, and
*up* otherwise. A device without ping points is so judged by its data-collected points alone.

``availability_rollups`` holds, per device and hour (and per day, summed from the hours), the
monitored slots, the down slots and the first up slot. Slots never straddle an hour, so an
hour's row says exactly what its raw slots say: a report reads whole hours and days before
the chart rollups' watermark from here, and the rest raw. It is refreshed with the chart
rollups (``rollups.refresh_rollups``): check points are written at the time they are
measured, never late, so the watermark that holds for the charts holds here too.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Integer, Interval, PrimaryKeyConstraint, Table, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Session

from monitoring.extensions import db
from monitoring.timeseries.chart_queries import ceil_to, floor_to

SLOT = timedelta(minutes=5)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

availability_rollups = Table(
    "availability_rollups", db.metadata,
    Column("device_id", UUID(as_uuid=True), nullable=False),
    Column("grain", Interval, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("slots", Integer, nullable=False),
    Column("down_slots", Integer, nullable=False),
    Column("first_up", DateTime(timezone=True)),
    PrimaryKeyConstraint("device_id", "grain", "time", name="pk_availability_rollups",
                         postgresql_include=["slots", "down_slots", "first_up"]),
)

# The slots of every point of the two checks within each (device, lower, upper) range; a
# device with points of only one check has null for the other.
_SLOTS_OF_RANGES = """
WITH ranges AS (
    SELECT * FROM unnest(CAST(:devices AS uuid[]), CAST(:lowers AS timestamptz[]),
                         CAST(:uppers AS timestamptz[])) AS r(device_id, lower_time, upper_time)
), ping AS (
    SELECT p.device_id, time_bucket(CAST(:slot AS interval), p.time) AS slot, bool_or(p.reachable = 1) AS ping_up
    FROM ranges r JOIN ping_points p
      ON p.device_id = r.device_id AND p.time >= r.lower_time AND p.time < r.upper_time
    GROUP BY 1, 2
), collected AS (
    SELECT d.device_id, time_bucket(CAST(:slot AS interval), d.time) AS slot, bool_or(d.data_collected = 1) AS data_up
    FROM ranges r JOIN data_collected_points d
      ON d.device_id = r.device_id AND d.time >= r.lower_time AND d.time < r.upper_time
    GROUP BY 1, 2
)
SELECT device_id, slot, ping_up, data_up FROM ping FULL JOIN collected USING (device_id, slot)
ORDER BY device_id, slot
"""

# Every device's slots of [lower, upper), in hours: the finest rollup grain.
_HOURS_FROM_RAW = """
WITH ping AS (
    SELECT device_id, time_bucket(CAST(:slot AS interval), time) AS slot, bool_or(reachable = 1) AS ping_up
    FROM ping_points WHERE time >= :lower AND time < :upper GROUP BY 1, 2
), collected AS (
    SELECT device_id, time_bucket(CAST(:slot AS interval), time) AS slot, bool_or(data_collected = 1) AS data_up
    FROM data_collected_points WHERE time >= :lower AND time < :upper GROUP BY 1, 2
), slots AS (
    SELECT device_id, slot, (ping_up IS FALSE OR data_up IS FALSE) AS down
    FROM ping FULL JOIN collected USING (device_id, slot)
)
INSERT INTO availability_rollups (device_id, grain, time, slots, down_slots, first_up)
SELECT device_id, CAST(:hour AS interval), time_bucket(CAST(:hour AS interval), slot),
       count(*), count(*) FILTER (WHERE down), min(slot) FILTER (WHERE NOT down)
FROM slots GROUP BY device_id, time_bucket(CAST(:hour AS interval), slot)
ON CONFLICT (device_id, grain, time) DO UPDATE
SET slots = excluded.slots, down_slots = excluded.down_slots, first_up = excluded.first_up
"""

_DAYS_FROM_HOURS = """
INSERT INTO availability_rollups (device_id, grain, time, slots, down_slots, first_up)
SELECT device_id, CAST(:day AS interval), time_bucket(CAST(:day AS interval), time),
       sum(slots), sum(down_slots), min(first_up)
FROM availability_rollups
WHERE grain = CAST(:hour AS interval) AND time >= :lower AND time < :upper
GROUP BY device_id, time_bucket(CAST(:day AS interval), time)
ON CONFLICT (device_id, grain, time) DO UPDATE
SET slots = excluded.slots, down_slots = excluded.down_slots, first_up = excluded.first_up
"""


def refresh(session: Session, lower: datetime, upper: datetime) -> int:
    """Recompute the hours of [lower, upper) (``lower`` rounded down to its hour) and the
    days they fall in; returns the rows written. Does not commit."""
    lower = floor_to(lower, HOUR)
    rows = session.execute(text(_HOURS_FROM_RAW), {"slot": SLOT, "hour": HOUR, "lower": lower,
                                                   "upper": upper}).rowcount
    days = {"day": DAY, "hour": HOUR, "lower": floor_to(lower, DAY), "upper": ceil_to(upper, DAY)}
    rows += session.execute(text(_DAYS_FROM_HOURS), days).rowcount
    return max(rows, 0)


@dataclass(frozen=True)
class Slot:
    device_id: uuid.UUID
    time: datetime
    ping_down: bool
    data_down: bool

    @property
    def down(self) -> bool:
        return self.ping_down or self.data_down


def raw_slots(session: Session, ranges: list[tuple[uuid.UUID, datetime, datetime]]) -> list[Slot]:
    """The monitored slots of each (device, lower, upper) range, read from the raw points,
    by device and time. Overlapping ranges give each slot once."""
    if not ranges:
        return []
    devices, lowers, uppers = (list(column) for column in zip(*ranges, strict=True))
    rows = session.execute(
        text(_SLOTS_OF_RANGES),
        {"devices": devices, "lowers": lowers, "uppers": uppers, "slot": SLOT},
    )
    return [Slot(device_id, slot, ping_up is False, data_up is False) for device_id, slot, ping_up, data_up in rows]


@dataclass(frozen=True)
class RolledUp:
    """A rollup row of a device: a period, its monitored and down slots, its first up slot."""

    device_id: uuid.UUID
    time: datetime
    grain: timedelta
    slots: int
    down_slots: int
    first_up: datetime | None


@dataclass
class RollupTotals:
    """What the rollups say of the clean periods (no down slot) of each device, and the
    rows a report must look at more closely: every period with a down slot (read raw) and
    the clean period after each of them and each device's first one (where an outage that
    began before them ends)."""

    clean_slots: dict[uuid.UUID, int]
    rows: list[RolledUp]


_ROLLUP_ROWS = """
WITH periods AS (
    SELECT device_id, grain, time, slots, down_slots, first_up,
           lag(down_slots, 1, 1) OVER (PARTITION BY device_id ORDER BY time) AS down_before
    FROM availability_rollups
    WHERE device_id = ANY(CAST(:devices AS uuid[]))
      AND ((grain = CAST(:day AS interval) AND time >= :days_lower AND time < :days_upper)
           OR (grain = CAST(:hour AS interval)
               AND ((time >= :lower AND time < :days_lower) OR (time >= :days_upper AND time < :upper))))
)
SELECT device_id, grain, time, slots, down_slots, first_up,
       sum(slots) FILTER (WHERE down_slots = 0) OVER (PARTITION BY device_id) AS clean_slots,
       down_slots > 0 OR down_before > 0 AS wanted
FROM periods
"""


def rollup_totals(session: Session, device_ids: list[uuid.UUID], lower: datetime, upper: datetime) -> RollupTotals:
    """The rollups of the whole hours [lower, upper) (both on an hour), whole UTC days read
    from the day rows."""
    days_lower, days_upper = ceil_to(lower, DAY), floor_to(upper, DAY)
    if days_lower >= days_upper:
        days_lower = days_upper = upper
    rows = session.execute(text(_ROLLUP_ROWS), {
        "devices": device_ids, "day": DAY, "hour": HOUR, "lower": lower, "upper": upper,
        "days_lower": days_lower, "days_upper": days_upper,
    })
    totals = RollupTotals(clean_slots={}, rows=[])
    for device_id, grain, time, slots, down_slots, first_up, clean_slots, wanted in rows:
        totals.clean_slots[device_id] = int(clean_slots or 0)
        if wanted:
            totals.rows.append(RolledUp(device_id, time, grain, slots, down_slots, first_up))
    return totals

