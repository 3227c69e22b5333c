"""The SQL of availability reports (docs/availability.md): the verdict of each device in each
five-minute slot, from the points of the ping and data-collected checks, and their rollups.

A slot is *monitored* when a check left a point in it; it is *down* when the device's ping
points in it all say unreachable, or its data-collected points in it all say no data, and
*up* otherwise. A device without ping points is so judged by its data-collected points alone.

``availability_rollups`` holds, per device and hour (and per day, summed from the hours), the
monitored slots, the down slots and the first up slot; an hour's row also says which of its
twelve slots were monitored, down by ping and down by data (bit n: the slot n × 5 minutes
after the hour). Slots never straddle an hour, so an hour's row says exactly what its raw
slots say: a report reads whole hours and days before the chart rollups' watermark from
here, and only the rest (the range's edges, the hours not rolled up yet) raw, in the same
shape (``Period``). It is refreshed with the chart rollups (``rollups.refresh_rollups``):
check points are written at the time they are measured, never late, so the watermark that
holds for the charts holds here too.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Index, Integer, Interval, PrimaryKeyConstraint, Table, text
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
    # Hours only: bit n is the slot n × 5 minutes after the hour.
    Column("slot_mask", Integer),
    Column("ping_down_mask", Integer),
    Column("data_down_mask", Integer),
    PrimaryKeyConstraint("device_id", "grain", "time", name="pk_availability_rollups",
                         postgresql_include=["slots", "down_slots", "first_up"]),
    # The few hours with a down slot, which a report reads slot by slot.
    Index("ix_availability_rollups_down_hours", "device_id", "time",
          postgresql_include=["slots", "down_slots", "first_up", "slot_mask", "ping_down_mask", "data_down_mask"],
          postgresql_where=text("grain = interval '1 hour' AND down_slots > 0")),
)

SLOTS_PER_HOUR = HOUR // SLOT

# Every device's (or the listed devices') monitored slots of [lower, upper), per hour: the
# rows of the finest rollup grain, read from the points. Null ``devices``: every device.
_HOURS_OF_POINTS = """
WITH ping AS (
    SELECT device_id, time_bucket(CAST(:slot AS interval), time) AS slot, bool_or(reachable = 1) AS ping_up
    FROM ping_points
    WHERE time >= :lower AND time < :upper
      AND (CAST(:devices AS uuid[]) IS NULL OR device_id = ANY(CAST(:devices AS uuid[])))
    GROUP BY 1, 2
), collected AS (
    SELECT device_id, time_bucket(CAST(:slot AS interval), time) AS slot, bool_or(data_collected = 1) AS data_up
    FROM data_collected_points
    WHERE time >= :lower AND time < :upper
      AND (CAST(:devices AS uuid[]) IS NULL OR device_id = ANY(CAST(:devices AS uuid[])))
    GROUP BY 1, 2
), slots AS (
    SELECT device_id, slot, time_bucket(CAST(:hour AS interval), slot) AS hour,
           ping_up IS FALSE AS ping_down, data_up IS FALSE AS data_down
    FROM ping FULL JOIN collected USING (device_id, slot)
), bits AS (
    SELECT *, 1 << (CAST(extract(epoch FROM slot - hour) AS integer) / 300) AS bit FROM slots
)
SELECT device_id, hour AS time, CAST(:hour AS interval) AS grain, count(*) AS slots,
       count(*) FILTER (WHERE ping_down OR data_down) AS down_slots,
       min(slot) FILTER (WHERE NOT (ping_down OR data_down)) AS first_up,
       bit_or(bit) AS slot_mask, coalesce(bit_or(bit) FILTER (WHERE ping_down), 0) AS ping_down_mask,
       coalesce(bit_or(bit) FILTER (WHERE data_down), 0) AS data_down_mask
FROM bits GROUP BY device_id, hour
"""

_REFRESH_HOURS = """
INSERT INTO availability_rollups (device_id, time, grain, slots, down_slots, first_up,
                                  slot_mask, ping_down_mask, data_down_mask)
""" + _HOURS_OF_POINTS + """
ON CONFLICT (device_id, grain, time) DO UPDATE
SET slots = excluded.slots, down_slots = excluded.down_slots, first_up = excluded.first_up,
    slot_mask = excluded.slot_mask, ping_down_mask = excluded.ping_down_mask, data_down_mask = excluded.data_down_mask
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
    rows = session.execute(text(_REFRESH_HOURS), {"slot": SLOT, "hour": HOUR, "lower": lower, "upper": upper,
                                                  "devices": None}).rowcount
    days = {"day": DAY, "hour": HOUR, "lower": floor_to(lower, DAY), "upper": ceil_to(upper, DAY)}
    rows += session.execute(text(_DAYS_FROM_HOURS), days).rowcount
    return max(rows, 0)


@dataclass(frozen=True)
class Period:
    """An hour or a day of a device: its monitored and down slots and its first up slot; for
    an hour, which of its slots were monitored, down by ping and down by data (bit n: the
    slot n × 5 minutes after the hour; None for a day)."""

    device_id: uuid.UUID
    time: datetime
    grain: timedelta
    slots: int
    down_slots: int
    first_up: datetime | None
    slot_mask: int | None = None
    ping_down_mask: int | None = None
    data_down_mask: int | None = None


def raw_hours(session: Session, device_ids: list[uuid.UUID], lower: datetime, upper: datetime) -> list[Period]:
    """The devices' monitored slots of [lower, upper), per hour, read from the points."""
    if not device_ids or lower >= upper:
        return []
    rows = session.execute(text(_HOURS_OF_POINTS), {"devices": device_ids, "lower": lower, "upper": upper,
                                                    "slot": SLOT, "hour": HOUR})
    return [Period(*row) for row in rows]


# Whole UTC days from the day rows, the hours before and after them from the hour rows: each
# part its own range read in the primary key's order (device, grain, time).
_TOTALS = """
SELECT device_id, sum(slots), sum(down_slots)
FROM (
    SELECT device_id, slots, down_slots FROM availability_rollups
    WHERE device_id = ANY(CAST(:devices AS uuid[])) AND grain = CAST(:day AS interval)
      AND time >= :days_lower AND time < :days_upper
    UNION ALL
    SELECT device_id, slots, down_slots FROM availability_rollups
    WHERE device_id = ANY(CAST(:devices AS uuid[])) AND grain = CAST(:hour AS interval)
      AND time >= :lower AND time < :days_lower
    UNION ALL
    SELECT device_id, slots, down_slots FROM availability_rollups
    WHERE device_id = ANY(CAST(:devices AS uuid[])) AND grain = CAST(:hour AS interval)
      AND time >= :days_upper AND time < :upper
) periods
GROUP BY device_id
"""

# The hours with a down slot (from their own small index) and those overlapping one of the
# device's maintenance spans.
_CLOSE_HOURS = """
WITH spans AS (
    SELECT * FROM unnest(CAST(:span_devices AS uuid[]), CAST(:span_begins AS timestamptz[]),
                         CAST(:span_ends AS timestamptz[])) AS s(device_id, begins, ends)
)
SELECT device_id, time, grain, slots, down_slots, first_up, slot_mask, ping_down_mask, data_down_mask
FROM availability_rollups
WHERE device_id = ANY(CAST(:devices AS uuid[])) AND grain = CAST(:hour AS interval) AND down_slots > 0
  AND time >= :lower AND time < :upper
UNION
SELECT h.device_id, h.time, h.grain, h.slots, h.down_slots, h.first_up, h.slot_mask, h.ping_down_mask,
       h.data_down_mask
FROM spans s JOIN availability_rollups h
  ON h.device_id = s.device_id AND h.grain = CAST(:hour AS interval)
 AND h.time > s.begins - CAST(:hour AS interval) AND h.time < s.ends AND h.time >= :lower AND h.time < :upper
"""

# For each (device, instant), the first up slot of the device's hours after it: where an
# outage running at that instant ends, if it ends before ``upper``.
_NEXT_UP = """
SELECT a.n, u.first_up
FROM unnest(CAST(:devices AS uuid[]), CAST(:afters AS timestamptz[])) WITH ORDINALITY AS a(device_id, after, n)
CROSS JOIN LATERAL (
    SELECT first_up FROM availability_rollups
    WHERE device_id = a.device_id AND grain = CAST(:hour AS interval) AND time >= a.after AND time < :upper
      AND first_up IS NOT NULL
    ORDER BY time LIMIT 1
) u
"""


def rollup_totals(session: Session, device_ids: list[uuid.UUID], lower: datetime,
                  upper: datetime) -> dict[uuid.UUID, tuple[int, int]]:
    """Every device's monitored and down slots in the whole hours [lower, upper) (both on
    an hour), whole UTC days read from the day rows; devices without any are left out."""
    days_lower, days_upper = ceil_to(lower, DAY), floor_to(upper, DAY)
    if days_lower >= days_upper:
        days_lower = days_upper = upper
    rows = session.execute(text(_TOTALS), {"devices": device_ids, "day": DAY, "hour": HOUR, "lower": lower,
                                           "upper": upper, "days_lower": days_lower, "days_upper": days_upper})
    return {device_id: (int(slots), int(down_slots)) for device_id, slots, down_slots in rows}


def close_hours(session: Session, device_ids: list[uuid.UUID], lower: datetime, upper: datetime,
                spans: list[tuple[uuid.UUID, datetime, datetime]]) -> list[Period]:
    """The rolled-up hours of [lower, upper) a report must look at slot by slot: those with
    a down slot, and those overlapping one of ``spans`` (device, begins, ends)."""
    span_devices, span_begins, span_ends = ([span[n] for span in spans] for n in range(3))
    rows = session.execute(text(_CLOSE_HOURS), {
        "devices": device_ids, "hour": HOUR, "lower": lower, "upper": upper,
        "span_devices": span_devices, "span_begins": span_begins, "span_ends": span_ends,
    })
    return [Period(*row) for row in rows]


def next_up(session: Session, afters: list[tuple[uuid.UUID, datetime]],
            upper: datetime) -> list[tuple[uuid.UUID, datetime]]:
    """For each (device, instant on an hour), the first up slot of the device's rolled-up
    hours from that instant until ``upper``, when there is one."""
    if not afters:
        return []
    rows = session.execute(text(_NEXT_UP), {"devices": [device_id for device_id, _ in afters],
                                            "afters": [after for _, after in afters], "hour": HOUR, "upper": upper})
    return [(afters[n - 1][0], first_up) for n, first_up in rows]
