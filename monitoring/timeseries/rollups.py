"""Keeping the rollups in step with the raw points: a refresh step, run by
``flask --app wsgi refresh-rollups`` (and by any periodic worker), never by the device POST,
whose latency must not pay for it.

A refresh recomputes every period (hour, or ten minutes) from the hour a little before the
previous watermark up to "now minus a settling delay", plus the hours marked in
``rollup_backlog``, with ``INSERT … SELECT … ON CONFLICT DO UPDATE``, then moves the
watermark (the availability rollups of ``availability.py`` over the same hours too).
Readers use rollups only before the watermark (read in the same statement as the rollup
rows, so a refresh committing meanwhile can never make a point counted twice or not at all),
and read the marked hours raw.

Why reads are exact at every moment, late samples included. The invariant: every rollup
period before the watermark holds every committed point of it, unless the point's hour is
marked. Writers of points, just before they commit and under a shared advisory lock held
until then, mark the hour of any point older than ``GREATEST(watermark, pending)``. A
refresh first *announces* the watermark it will reach (``pending``), in a short transaction
under the same lock taken exclusively: it waits for the writers that judged against the old
value to commit, and every writer after it judges against the new one. Only then, in a
second transaction, does it recompute, so its statements see every point that was not
marked; marks committed while it works are not among those it deletes, and stay for the
next refresh. Everything of that second transaction happens under another advisory lock:
two refreshes never interleave, and readers see either the old rollups and watermark or the
new ones.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, Interval, Numeric, cast, delete, exists, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import BIT, insert
from sqlalchemy.orm import Session

from monitoring.timeseries import availability
from monitoring.timeseries.chart_queries import ROLLUP_GRAIN, ceil_to, floor_hour, floor_to, read_watermark
from monitoring.timeseries.chart_tables import (
    CLIENT_PAGE_BITS,
    LATE_POINTS_LOCK_KEY,
    rollup_backlog,
    rollup_client_ids,
    rollup_state,
    sum_columns,
)
from monitoring.timeseries.sources import DISTINCT, MEASUREMENTS, MODE, NUMERIC, Measurement, Rollup

# Points whose time is this close to now may belong to samples still being committed.
DEFAULT_SETTLE = timedelta(minutes=1)
# How far before the previous watermark a refresh looks again, for samples that arrived late.
DEFAULT_LOOKBACK = timedelta(hours=1)
# One statement per rollup per slice: bounded memory however long the range.
SLICE = timedelta(days=1)
LOCK_KEY = 0x726F6C6C  # "roll": one refresh at a time, cluster-wide


@dataclass
class RefreshResult:
    watermark: datetime | None
    ranges: list[tuple[datetime, datetime]] = field(default_factory=list)
    rows: int = 0

    @property
    def hours(self) -> int:
        return sum(-(-(upper - lower) // ROLLUP_GRAIN) for lower, upper in self.ranges)


# The raw tables rolled up: the charts' measurements, and the checks' points availability
# reports read.
RAW_TABLES = [measurement.raw.name for measurement in MEASUREMENTS.values()] + ["data_collected_points"]


def _earliest_point(session: Session) -> datetime | None:
    """Where the oldest raw chunk starts: no scan of the points themselves."""
    return session.execute(
        text("SELECT min(range_start) FROM timescaledb_information.chunks WHERE hypertable_name = ANY(:names)"),
        {"names": RAW_TABLES},
    ).scalar()


def _with_points(session: Session, lower: datetime, upper: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [lower, upper) that raw chunks cover: a refresh after a long pause, or
    from an old ``since``, does not walk through empty days."""
    rows = session.execute(
        text("SELECT range_start, range_end FROM timescaledb_information.chunks"
             " WHERE hypertable_name = ANY(:names) AND range_start < :upper AND range_end > :lower"),
        {"names": RAW_TABLES, "lower": lower, "upper": upper},
    )
    return _merge([(max(start, lower), min(end, upper)) for start, end in rows])


def _merge(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for lower, upper in sorted(r for r in ranges if r[0] < r[1]):
        if merged and lower <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], upper))
        else:
            merged.append((lower, upper))
    return merged


def _slices(lower: datetime, upper: datetime) -> Iterable[tuple[datetime, datetime]]:
    while lower < upper:
        yield lower, min(lower + SLICE, upper)
        lower += SLICE


def _grain(rollup_grain: timedelta):
    return literal(rollup_grain, Interval())


def _period_of(column, grain: timedelta):
    return func.time_bucket(_grain(grain), column).label("period")


def _upsert(rollup: Rollup, columns: list[str], source, conflict: list[str]):
    statement = insert(rollup.table).from_select(columns, source)
    updated = [name for name in columns if name not in conflict]
    return statement.on_conflict_do_update(
        index_elements=conflict, set_={name: statement.excluded[name] for name in updated}
    )


# From raw points: the finest grain of a rollup, over [lower, upper).

def _numeric(measurement: Measurement, rollup: Rollup, grain: timedelta, lower: datetime, upper: datetime):
    raw = measurement.raw
    points = select(_period_of(raw.c.time, grain), *[raw.c[k] for k in rollup.keys],
                    *[raw.c[f] for f in rollup.fields]).where(raw.c.time >= lower, raw.c.time < upper).subquery()
    keys = [points.c[k] for k in rollup.keys]
    aggregates = []
    columns = [*rollup.keys, "grain", "time"]
    for name in rollup.fields:
        aggregates += [func.sum(cast(points.c[name], Numeric)), func.count(points.c[name])]
        columns += sum_columns(name)
    source = select(*keys, _grain(grain), points.c.period, *aggregates).group_by(*keys, points.c.period)
    return _upsert(rollup, columns, source, [*rollup.keys, "grain", "time"])


def _mode(measurement: Measurement, rollup: Rollup, grain: timedelta, lower: datetime, upper: datetime):
    (name,) = rollup.fields
    raw = measurement.raw
    points = (
        select(_period_of(raw.c.time, grain), *[raw.c[k] for k in rollup.keys], raw.c[name], raw.c.time)
        .where(raw.c.time >= lower, raw.c.time < upper, raw.c[name].isnot(None))
        .subquery()
    )
    keys = [*[points.c[k] for k in rollup.keys], points.c[name]]
    source = select(*keys, _grain(grain), points.c.period, func.count(), func.min(points.c.time)).group_by(
        *keys, points.c.period)
    columns = [*rollup.keys, name, "grain", "time", "samples", "first_time"]
    return _upsert(rollup, columns, source, [*rollup.keys, name, "grain", "time"])


def _new_client_ids(measurement: Measurement, name: str, lower: datetime, upper: datetime):
    """Ids for MACs never seen before, in order of first sight: clients that appear together
    (one device's) get neighbouring ids, so their bitmaps share pages."""
    raw, ids = measurement.raw, rollup_client_ids
    source = (
        select(raw.c[name])
        .where(raw.c.time >= lower, raw.c.time < upper, ~exists().where(ids.c.mac == raw.c[name]))
        .group_by(raw.c[name])
        .order_by(func.min(raw.c.time), raw.c[name])
    )
    return insert(ids).from_select(["mac"], source).on_conflict_do_nothing()


EMPTY_PAGE = cast(func.repeat("0", CLIENT_PAGE_BITS), BIT(CLIENT_PAGE_BITS))


def _distinct(measurement: Measurement, rollup: Rollup, grain: timedelta, lower: datetime, upper: datetime):
    (name,) = rollup.fields
    raw, ids = measurement.raw, rollup_client_ids
    members = (
        select(_period_of(raw.c.time, grain), *[raw.c[k] for k in rollup.keys], ids.c.id)
        .join_from(raw, ids, ids.c.mac == raw.c[name])
        .where(raw.c.time >= lower, raw.c.time < upper)
        .distinct()
        .subquery()
    )
    page = (members.c.id // CLIENT_PAGE_BITS).label("page")
    bits = func.bit_or(func.set_bit(EMPTY_PAGE, members.c.id % CLIENT_PAGE_BITS, 1, type_=BIT(CLIENT_PAGE_BITS)))
    keys = [members.c[k] for k in rollup.keys]
    source = select(*keys, _grain(grain), members.c.period, page, bits).group_by(*keys, members.c.period, page)
    columns = [*rollup.keys, "grain", "time", "page", "clients"]
    return _upsert(rollup, columns, source, [*rollup.keys, "grain", "time", "page"])


FROM_RAW = {NUMERIC: _numeric, MODE: _mode, DISTINCT: _distinct}


def _coarser(rollup: Rollup, grain: timedelta, finer: timedelta, lower: datetime, upper: datetime):
    """A coarser grain from the finer one over whole coarse periods: sums add up, per-value
    counts add up (first times: the earliest), bitmaps are or-ed."""
    table = rollup.table
    period = _period_of(table.c.time, grain)
    keys = [table.c[k] for k in rollup.keys]
    if rollup.kind == NUMERIC:
        names = sum_columns(*rollup.fields)
        aggregates = [func.sum(table.c[name]) for name in names]
        conflict = [*rollup.keys, "grain", "time"]
    elif rollup.kind == MODE:
        keys.append(table.c[rollup.fields[0]])
        names = ["samples", "first_time"]
        aggregates = [func.sum(table.c.samples), func.min(table.c.first_time)]
        conflict = [*rollup.keys, rollup.fields[0], "grain", "time"]
    else:
        keys.append(table.c.page)
        names = ["clients"]
        aggregates = [func.bit_or(table.c.clients)]
        conflict = [*rollup.keys, "page", "grain", "time"]
    source = (
        select(*keys, _grain(grain), period, *aggregates)
        .where(table.c.grain == finer, table.c.time >= floor_to(lower, grain), table.c.time < ceil_to(upper, grain))
        .group_by(*keys, period)
    )
    return _upsert(rollup, [key.name for key in keys] + ["grain", "time", *names], source, conflict)


def _refresh_range(session: Session, lower: datetime, upper: datetime) -> int:
    rows = 0
    for slice_lower, slice_upper in _slices(lower, upper):
        for measurement in MEASUREMENTS.values():
            distinct_fields = {f for rollup in measurement.rollups if rollup.kind == DISTINCT for f in rollup.fields}
            for name in sorted(distinct_fields):
                session.execute(_new_client_ids(measurement, name, slice_lower, slice_upper))
            for rollup in measurement.rollups:
                finest = rollup.grains[0]
                statement = FROM_RAW[rollup.kind](measurement, rollup, finest, floor_to(slice_lower, finest),
                                                  slice_upper)
                rows += max(session.execute(statement).rowcount, 0)
        rows += availability.refresh(session, slice_lower, slice_upper)
    for measurement in MEASUREMENTS.values():
        for rollup in measurement.rollups:
            for finer, grain in itertools.pairwise(rollup.grains):
                rows += max(session.execute(_coarser(rollup, grain, finer, lower, upper)).rowcount, 0)
    return rows


def _lock(key: int):
    return select(func.pg_advisory_xact_lock(literal(key, BigInteger())))


def announce(session: Session, until: datetime) -> None:
    """Make ``until`` the watermark writers judge late points against (never lowered), once
    every writer that judged against the previous one has committed. Commits."""
    session.execute(text("SET LOCAL lock_timeout = '10s'"))  # a writer never holds it longer
    session.execute(_lock(LATE_POINTS_LOCK_KEY))
    state = insert(rollup_state).values(id=1, pending=until, refreshed_at=func.now())
    session.execute(state.on_conflict_do_update(
        index_elements=["id"], set_={"pending": func.greatest(rollup_state.c.pending, state.excluded.pending)}))
    session.commit()


def refresh_rollups(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                    lookback: timedelta = DEFAULT_LOOKBACK, now: datetime | None = None) -> RefreshResult:
    """Recompute the rollups touched since the watermark and move it forward.

    ``since``: recompute from this instant instead (e.g. after a bulk load of old points).
    ``until``: where the watermark goes (default: now minus a settling delay); it never
    moves back. Commits.
    """
    until = until or (now or datetime.now(UTC)) - DEFAULT_SETTLE
    announce(session, until)
    session.execute(_lock(LOCK_KEY))
    previous = read_watermark(session)
    if previous is not None:
        until = max(until, previous)
    if since is not None:
        lower = since
    elif previous is not None:
        lower = previous - lookback
    else:
        lower = _earliest_point(session)
    ranges = [(floor_hour(lower), until)] if lower is not None else []
    marked = set(session.execute(
        delete(rollup_backlog).where(rollup_backlog.c.hour < until).returning(rollup_backlog.c.hour)
    ).scalars())
    ranges += [(hour, min(hour + ROLLUP_GRAIN, until)) for hour in marked]
    result = RefreshResult(watermark=until, ranges=_merge(ranges))
    for lower, upper in result.ranges:
        for covered_lower, covered_upper in _with_points(session, lower, upper):
            result.rows += _refresh_range(session, covered_lower, covered_upper)
    session.execute(update(rollup_state).where(rollup_state.c.id == 1)
                    .values(watermark=until, refreshed_at=func.now()))
    session.commit()
    return result
