"""The chart SQL builder: one measurement, some fields, some filters and a time window in,
one parameterised statement out, returning per-bucket partial aggregates over a gap-filled
bucket grid plus the same aggregates over the whole window (for sums and counts, the sums
of the buckets' ones, added up here: one aggregation less in the statement).

Buckets are ``time_bucket`` over local wall-clock time of the requested zone, aligned on
1970-01-01 00:00 local (where the reference's InfluxDB aligns them); the grid is a
``generate_series`` from the bucket of the window's start to the bucket of its end, left-
joined to the aggregates, so empty buckets come back as rows without data.

Statements return *partial* aggregates (exact sums and counts, per-value counts, distinct
sets as bitmaps), never final values: raw points and rollups produce the same partials, so
a window can be read partly from rollups (whole periods up to the watermark, except the
hours marked stale by late points) and partly from raw points (the edges, the stale hours
and the un-refreshed tail), merged per bucket, and give exactly what raw points alone give,
at every moment. Finishing the values (means, scaling, rounding) is the caller's business.

The charts of one request are read in one statement, one sub-select per series, except
that the series of a device's interfaces (traffic of each interface, WiFi clients of each
wireless one: up to ``DEVICE_MAX_INTERFACES``) are read by one sub-select grouped by
interface, which plans and runs like one series. Each sub-select's rows come back as JSON
arrays, one per column, with each row's place in the bucket grid: no per-row objects to
build, in PostgreSQL or in Python.

The SQL text depends only on the *shape* of a query (measurement, kind, fields, which
filters, how many rollup segments and raw gaps are read, per interface or not) and is built
once per shape; every value of a request travels as a bind parameter. Table and column names
come from our own table definitions.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import MAX_PREC, Context, Decimal, localcontext
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from psycopg2.extras import register_uuid
from sqlalchemy import text
from sqlalchemy.orm import Session

from monitoring.timeseries.chart_tables import CLIENT_PAGE_BITS, sum_columns
from monitoring.timeseries.sources import DISTINCT, MEASUREMENTS, MODE, NUMERIC, Rollup

register_uuid()  # uuid.UUID values (and lists of them) travel as native uuid parameters

ROLLUP_GRAIN = timedelta(hours=1)  # what the refresh recomputes at least, and the backlog lists
# Stale stretches read raw in one statement, at most: beyond, the closest are merged (a few
# more raw points, a bounded statement).
MAX_STALE_RANGES = 8
# InfluxDB aligns GROUP BY time() buckets on the epoch (in the query's zone); so do we.
BUCKET_ORIGIN = datetime(1970, 1, 1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def floor_to(moment: datetime, grain: timedelta) -> datetime:
    return moment - (moment - EPOCH) % grain


def ceil_to(moment: datetime, grain: timedelta) -> datetime:
    floor = floor_to(moment, grain)
    return floor if floor == moment else floor + grain


def floor_hour(moment: datetime) -> datetime:
    return floor_to(moment, ROLLUP_GRAIN)


@lru_cache(maxsize=256)
def _fits(start: datetime, stop: datetime, width: timedelta, timezone: str, grain: timedelta) -> bool:
    if width % grain:
        return False
    zone = ZoneInfo(timezone)
    instant = start
    while True:  # offsets change at most a few times a year: a daily probe sees them
        if instant.astimezone(zone).utcoffset() % grain:
            return False
        if instant >= stop:
            return True
        instant = min(instant + timedelta(days=1), stop)


@dataclass(frozen=True)
class Window:
    """The instants a chart covers and how they are bucketed."""

    start: datetime  # aware, first instant included
    end: datetime  # aware, last instant included
    width: timedelta  # bucket width, in local wall-clock time
    timezone: str  # IANA name, already validated

    @property
    def stop(self) -> datetime:
        """The first instant after the window."""
        return self.end + ONE_MICROSECOND

    def fits(self, grain: timedelta) -> bool:
        """Whether rollup periods of this grain each fall in one bucket: a bucket must be a
        whole number of periods, and every local bucket boundary a period boundary in UTC,
        i.e. the zone's offset a whole number of periods throughout the window (not so for
        hours in Asia/Kolkata, +05:30)."""
        return _fits(self.start, self.stop, self.width, self.timezone, grain)


Segment = tuple[timedelta, datetime, datetime]  # grain, first period, end of the last one


def cover(start: datetime, stop: datetime, grains: tuple[timedelta, ...]) -> list[Segment]:
    """Whole periods tiling as much of [start, stop) as these grains (coarsest first) can:
    the coarsest in the middle, finer ones towards the edges. A month of days, then the
    hours of today, then its ten-minute periods: few rows, and raw points only for the
    minutes at either end."""
    for index, grain in enumerate(grains):
        first, last = ceil_to(start, grain), floor_to(stop, grain)
        if first < last:
            finer = grains[index + 1:]
            return [*cover(start, first, finer), (grain, first, last), *cover(last, stop, finer)]
    return []


def stale_ranges(marked: tuple[datetime, ...], lower: datetime, upper: datetime) -> list[tuple[datetime, datetime]]:
    """The marked hours (sorted) within [lower, upper), merged into ranges, at most
    ``MAX_STALE_RANGES`` of them."""
    ranges: list[tuple[datetime, datetime]] = []
    for hour in marked:
        first, last = max(hour, lower), min(hour + ROLLUP_GRAIN, upper)
        if first >= last:
            continue
        if ranges and first <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], last))
        else:
            ranges.append((first, last))
    while len(ranges) > MAX_STALE_RANGES:
        index = min(range(len(ranges) - 1), key=lambda i: ranges[i + 1][0] - ranges[i][1])
        ranges[index:index + 2] = [(ranges[index][0], ranges[index + 1][1])]
    return ranges


def cover_clean(start: datetime, stop: datetime, grains: tuple[timedelta, ...],
                stale: list[tuple[datetime, datetime]]) -> list[Segment]:
    """Whole periods tiling what [start, stop) has outside the stale ranges (sorted, within
    it): no period that overlaps a stale hour is read from rollups."""
    segments, lower = [], start
    for first, last in [*stale, (stop, stop)]:
        segments += cover(lower, first, grains)
        lower = last
    return segments


def gaps(start: datetime, stop: datetime, segments: list[Segment]) -> list[tuple[datetime, datetime]]:
    """The parts of [start, stop) that no segment covers: read raw."""
    found, lower = [], start
    for _, first, last in [*segments, (None, stop, stop)]:
        if lower < first:
            found.append((lower, first))
        lower = last
    return found


@dataclass(frozen=True)
class RollupState:
    """What planning a read needs to know of the rollups: where they end (None: no refresh
    yet), and the hours marked stale by late points (read raw until refreshed)."""

    watermark: datetime | None
    marked: tuple[datetime, ...] = ()


# (column, SQL type of a list value or None for one value, parameter name)
FILTERS = (
    ("device_id", None, "device_id"),
    ("ifname", None, "ifname"),
    ("ifname", "text", "ifnames"),
    ("organization_id", "uuid", "organization_ids"),
    ("location_id", "uuid", "location_ids"),
    ("floorplan_id", "uuid", "floorplan_ids"),
)


@dataclass(frozen=True)
class SeriesFilter:
    """Which points a chart aggregates. ``None`` means no restriction."""

    device_id: uuid.UUID | None = None
    ifname: str | None = None
    ifnames: tuple[str, ...] | None = None
    organization_ids: tuple[uuid.UUID, ...] | None = None
    location_ids: tuple[uuid.UUID, ...] | None = None
    floorplan_ids: tuple[uuid.UUID, ...] | None = None

    def used(self) -> tuple[str, ...]:
        """The parameter names of the restrictions in force."""
        return tuple(name for _, _, name in FILTERS if getattr(self, name) is not None)

    def params(self) -> dict:
        values = {}
        for _, list_type, name in FILTERS:
            value = getattr(self, name)
            if value is not None:
                values[name] = list(value) if list_type else value
        return values


class Partial(NamedTuple):
    """A partial aggregate of one field over one bucket (or the whole window).

    numeric: ``sum`` of the non-null values and their ``count``; distinct: ``count`` of
    unique values; mode: the most frequent ``value`` and its ``count``.
    """

    count: int = 0
    sum: Decimal | None = None
    value: Any = None


class PartialColumns(NamedTuple):
    """The partial aggregates of one field in each bucket, as lists of ``Partial``'s fields
    (``sum`` for numeric fields, ``value`` for modes; a count may be None: no point). Sums
    are exact numbers, ``int`` or ``Decimal``."""

    count: list
    sum: list | None = None
    value: list | None = None


def field_columns(kind: str, name: str) -> list[str]:
    """The columns holding a field's partial aggregates: its sum and count (numeric), the
    most frequent value and its samples (mode), the number of unique values (distinct)."""
    if kind == NUMERIC:
        return sum_columns(name)
    return ["value", "samples"] if kind == MODE else ["count"]


def value_columns(kind: str, fields: tuple[str, ...]) -> list[str]:
    """The columns of a series' partial aggregates, in statements and in ``Series``."""
    return list(dict.fromkeys(column for name in fields for column in field_columns(kind, name)))


def _exact(value: Any) -> Decimal | None:
    # JSON sums without a fraction come back as int: the same exact number
    return None if value is None else Decimal(value)


def partial(kind: str, values: list) -> Partial:
    """A field's partial aggregate from the values of its ``field_columns``."""
    if kind == NUMERIC:
        total, count = values
        return Partial(count=int(count or 0), sum=_exact(total))
    if kind == MODE:
        value, samples = values
        return Partial(count=int(samples or 0), value=value)
    (count,) = values
    return Partial(count=int(count or 0))


@dataclass
class Series:
    """A series' partial aggregates in each bucket and over the whole window. Per bucket
    they are kept as read, one list per column (``value_columns``): a device at the ingest
    limits has some 60,000 of them, and a list is a handful of objects where 60,000
    ``Partial`` values would keep the garbage collector busy."""

    kind: str
    fields: tuple[str, ...]
    buckets: list[datetime]  # local bucket starts, ascending; shared by the series of a statement
    columns: dict[str, list]  # column -> its value in each bucket
    total: dict[str, Partial]  # field -> over the whole window

    def bucket_partials(self, name: str) -> PartialColumns:
        """The partial aggregates of a field in each bucket."""
        columns = [self.columns[column] for column in field_columns(self.kind, name)]
        if self.kind == NUMERIC:
            total, count = columns
            return PartialColumns(count, sum=total)
        if self.kind == MODE:
            value, samples = columns
            return PartialColumns(samples, value=value)
        return PartialColumns(columns[0])

    def has_data(self, fields: tuple[str, ...]) -> bool:
        """Whether any of these fields has a value in the window."""
        return any(self.total[name].count for name in fields if name in self.total)


# --- SQL text, built once per shape -------------------------------------------------------

@dataclass(frozen=True)
class Shape:
    measurement: str
    kind: str
    fields: tuple[str, ...]
    filters: tuple[str, ...]  # parameter names of SeriesFilter in force
    rollup: str | None  # the rollup table read for whole periods, if any
    segments: int  # how many grain segments of it
    gaps: int  # how many raw ranges before the last segment's end (edges, stale hours)
    # One series per interface of ``ifnames`` (rows keyed by ``ifname`` too), not one over all.
    per_interface: bool = False


def _bucket(column: str) -> str:
    """The bucket (a local wall-clock timestamp) of an instant."""
    return (f"time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), {column}),"
            " CAST(:origin AS timestamp))")


def _conditions(filters: tuple[str, ...]) -> list[str]:
    conditions = []
    for column, list_type, name in FILTERS:
        if name in filters:
            conditions.append(f"{column} = ANY(CAST(:{name} AS {list_type}[]))" if list_type else f"{column} = :{name}")
    return conditions


# Where rollups stop and raw points take over: the end of the whole periods, or the
# watermark if earlier (read in the same statement as the rollup rows: one snapshot, so a
# refresh committing meanwhile cannot make a point counted twice or not at all). The period
# the watermark falls in holds exactly the points before it.
ROLLUP_END = ("GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE("
              "(SELECT watermark FROM rollup_state WHERE id = 1), '-infinity'::timestamptz)))")


def _raw_ranges(shape: Shape) -> list[str]:
    """Conditions on ``time`` of each raw part: the gaps between segments (each up to where
    the rollups end: after it, the tail reads them), then the tail. The tail also gets the
    watermark the caller read beforehand (never later than the statement's own): a constant
    the planner can exclude chunks with."""
    if shape.rollup is None:
        return ["time >= :start AND time < :stop"]
    ranges = [f"time >= :gap_from_{index} AND time < :gap_to_{index} AND time < {ROLLUP_END}"
              for index in range(shape.gaps)]
    ranges.append(f"time >= :tail_from AND time >= {ROLLUP_END} AND time < :stop")
    return ranges


def _rollup_ranges(shape: Shape) -> list[str]:
    """Conditions of each segment's rows: its grain and its periods. No row starts at or
    after the watermark (a refresh writes its rows and the watermark in one transaction, and
    rolls up only the points before it), so the rows a statement sees end where its raw
    tail starts."""
    return [f"grain = CAST(:grain_{index} AS interval) AND time >= :first_{index} AND time < :last_{index}"
            for index in range(shape.segments)]


def _where(shape: Shape, time_range: str) -> str:
    return " AND ".join([*_conditions(shape.filters), time_range])


def _key(shape: Shape, table: str = "") -> str:
    """What identifies a series among the statement's rows, besides the bucket: the
    interface, when the statement reads one series per interface (then with a comma, to
    precede ``bucket``); nothing otherwise."""
    return f"{table + '.' if table else ''}ifname, " if shape.per_interface else ""


def _series_total(shape: Shape, table: str = "") -> str:
    """The grouping set of the whole-window rows: one per interface, or one in all."""
    return f"({table + '.' if table else ''}ifname)" if shape.per_interface else "()"


def _same_series(shape: Shape, left: str, right: str) -> str:
    """A join condition keeping rows of one series together, when there are several."""
    return f" AND {left}.ifname = {right}.ifname" if shape.per_interface else ""


GRID = (f"generate_series({_bucket(':start')}, {_bucket(':end')}, CAST(:width AS interval))"
        " WITH ORDINALITY AS grid(bucket, position)")
# The bucket starts of the window, in order.
GRID_QUERY = f"SELECT CAST(json_agg(grid.bucket ORDER BY grid.bucket) AS text) FROM {GRID}"


def _window_params(window: Window) -> dict:
    """The parameters of the buckets of a window."""
    return {"width": window.width, "timezone": window.timezone, "origin": BUCKET_ORIGIN, "start": window.start,
            "end": window.end}


def _grid_query(shape: Shape) -> str:
    """Gap-filled buckets (``total`` 0, ``position`` 1, 2, … in the grid), then the
    whole-window row (``total`` 1, no position) but of sums and counts; of every interface
    of ``ifnames`` when the statement reads one series per interface. Unordered: the
    position says where a row goes."""
    selected = ", ".join(f"merged.{name}" for name in value_columns(shape.kind, shape.fields))
    grid, series, window_series = GRID, "", ""
    if shape.per_interface:  # the series: the interface's place in ``ifnames``, from 1
        grid = f"unnest(CAST(:ifnames AS text[])) WITH ORDINALITY AS interfaces(ifname, series) CROSS JOIN {grid}"
        series, window_series = "interfaces.series, ", "array_position(CAST(:ifnames AS text[]), merged.ifname), "
    buckets = (f"SELECT {series}grid.bucket, grid.position, 0 AS total, {selected} FROM {grid}"
               f" LEFT JOIN merged ON merged.bucket = grid.bucket{_same_series(shape, 'merged', 'interfaces')}")
    if shape.kind == NUMERIC:
        return buckets
    return (f"{buckets} AND merged.total = 0 UNION ALL SELECT {window_series}merged.bucket, NULL,"
            f" merged.total, {selected} FROM merged WHERE merged.total = 1")


def _numeric_sql(shape: Shape) -> str:
    raw = MEASUREMENTS[shape.measurement].raw.name
    names = sum_columns(*shape.fields)
    # numeric sums are exact: the order of additions (raw or rollup) cannot change them
    raw_aggregates = ", ".join(f"sum(CAST({f} AS numeric)) AS {total}, count({f}) AS {count}"
                               for f in shape.fields for total, count in [sum_columns(f)])
    key = _key(shape)
    grouped = "1, 2" if shape.per_interface else "1"  # the key's columns, by position
    # Raw points are summed up per bucket first (many points, few buckets); rollup rows, a
    # period each, go to the merge as they are: a second aggregation of about as many rows
    # would cost more than it saves.
    parts = [f"SELECT {key}{_bucket('time')} AS bucket, {raw_aggregates} FROM {raw}"
             f" WHERE {_where(shape, time_range)} GROUP BY {grouped}" for time_range in _raw_ranges(shape)]
    parts += [f"SELECT {key}{_bucket('time')} AS bucket, {', '.join(names)} FROM {shape.rollup}"
              f" WHERE {_where(shape, rollup_range)}" for rollup_range in _rollup_ranges(shape)]
    if shape.rollup is None:  # raw points only, summed up per bucket at once
        return f"WITH merged AS ({parts[0]}) " + _grid_query(shape)
    merged = ", ".join(f"sum({name}) AS {name}" for name in names)
    return (
        f"WITH partials AS ({' UNION ALL '.join(parts)}),"
        f" merged AS (SELECT {key}bucket, {merged} FROM partials GROUP BY {key}bucket) "
        + _grid_query(shape)
    )


def _mode_sql(shape: Shape) -> str:
    (name,) = shape.fields
    raw = MEASUREMENTS[shape.measurement].raw.name
    parts = [f"SELECT {_bucket('time')} AS bucket, {name} AS value, count(*) AS samples, min(time) AS first_time"
             f" FROM {raw} WHERE {_where(shape, time_range)} AND {name} IS NOT NULL GROUP BY 1, 2"
             for time_range in _raw_ranges(shape)]
    parts += [f"SELECT {_bucket('time')} AS bucket, {name} AS value, sum(samples) AS samples,"
              f" min(first_time) AS first_time FROM {shape.rollup} WHERE {_where(shape, rollup_range)}"
              " GROUP BY 1, 2" for rollup_range in _rollup_ranges(shape)]
    return (
        f"WITH partials AS ({' UNION ALL '.join(parts)}),"
        " counted AS (SELECT bucket, GROUPING(bucket) AS total, value, sum(samples) AS samples,"
        " min(first_time) AS first_time FROM partials GROUP BY GROUPING SETS ((bucket, value), (value))),"
        # the most frequent value; on a tie the one seen first (InfluxDB's MODE())
        " merged AS (SELECT DISTINCT ON (total, bucket) bucket, total, value, samples FROM counted"
        " ORDER BY total, bucket, samples DESC, first_time, value) "
        + _grid_query(shape)
    )


def _distinct_sql(shape: Shape) -> str:
    (name,) = shape.fields
    raw = MEASUREMENTS[shape.measurement].raw.name
    key, total = _key(shape), _series_total(shape)
    values = " UNION ALL ".join(f"SELECT {key}{_bucket('time')} AS bucket, {name} AS value FROM {raw}"
                                f" WHERE {_where(shape, time_range)}" for time_range in _raw_ranges(shape))
    if shape.rollup is None:
        # Distinct (bucket, value) pairs first, by hashing: counting distinct values group by
        # group would sort every point. Then in one pass the values of each bucket and the
        # distinct values of the window. count(value): NULL is no value.
        return (
            f"WITH raw_values AS (SELECT DISTINCT {key}bucket, value FROM ({values}) AS raw_parts),"
            f" counted AS (SELECT {key}bucket, value, GROUPING(value) AS per_bucket, count(value) AS count"
            f" FROM raw_values GROUP BY GROUPING SETS (({key}bucket), ({key}value))),"
            f" merged AS (SELECT {key}bucket, 0 AS total, count FROM counted WHERE per_bucket = 1"
            f" UNION ALL SELECT {key}NULL, 1, count(value) FROM counted WHERE per_bucket = 0 GROUP BY {total}) "
            + _grid_query(shape)
        )
    # Rollup periods hold bitmaps of client ids; raw points hold MACs. Every raw MAC becomes
    # a bit of its bucket's pages too: its id's if it has one (seen before the last refresh),
    # else one of pages below zero, which no id reaches, numbered in the order of the MACs
    # (the same bit wherever the MAC is seen). A bucket's clients are then the bits set in
    # the union of its pages; the window's, in the union of all pages. Only unions and
    # aggregations: no join of pages with pages, whose cost would depend on the planner's
    # estimates of them. ``GROUP BY ()``: one row, even without any input, as without
    # ``GROUP BY``. Counts of bits are bigint: numeric sums are slower.
    page = CLIENT_PAGE_BITS
    bit = f"set_bit(CAST(repeat('0', {page}) AS bit({page})), {{}} % {page}, 1)"
    periods = " UNION ALL ".join(f"SELECT {key}{_bucket('time')} AS bucket, page, clients FROM {shape.rollup}"
                                 f" WHERE {_where(shape, rollup_range)}" for rollup_range in _rollup_ranges(shape))
    known = (f"SELECT {_key(shape, 'raw_values')}raw_values.bucket, ids.id / {page} AS page,"
             f" {bit.format('ids.id')} AS clients FROM raw_values JOIN rollup_client_ids AS ids"
             " ON ids.mac = raw_values.value")
    new = (f"SELECT {key}bucket, -1 - number / {page} AS page, {bit.format('number')} AS clients"
           f" FROM (SELECT {key}bucket, CAST(dense_rank() OVER (ORDER BY value) - 1 AS integer) AS number"
           " FROM raw_values WHERE value IS NOT NULL"
           " AND NOT EXISTS (SELECT 1 FROM rollup_client_ids AS ids WHERE ids.mac = raw_values.value)) AS new_clients")
    return (
        f"WITH raw_values AS (SELECT DISTINCT {key}bucket, value FROM ({values}) AS raw_parts),"
        f" pages AS (SELECT {key}bucket, page, bit_or(clients) AS clients"
        f" FROM ({periods} UNION ALL {known} UNION ALL {new}) AS periods GROUP BY {key}bucket, page),"
        f" merged AS (SELECT {key}bucket, 0 AS total, CAST(sum(bit_count(clients)) AS bigint) AS count FROM pages"
        f" GROUP BY {key}bucket"
        f" UNION ALL SELECT {key}NULL, 1, CAST(sum(bit_count(clients)) AS bigint) FROM (SELECT {key}page,"
        f" bit_or(clients) AS clients FROM pages GROUP BY {key}page) AS window_pages GROUP BY {total}) "
        + _grid_query(shape)
    )


BUILDERS = {NUMERIC: _numeric_sql, MODE: _mode_sql, DISTINCT: _distinct_sql}


@lru_cache(maxsize=512)
def sql_for(shape: Shape) -> str:
    return BUILDERS[shape.kind](shape)


# --- running a query ----------------------------------------------------------------------

def rollup_plan(*, measurement: str, kind: str, fields: tuple[str, ...], filters: SeriesFilter,
                window: Window, marked: tuple[datetime, ...] = ()) -> tuple[Rollup, list[Segment]] | None:
    """The rollup a query reads and the segments of it (grain, first period, end), or None:
    raw points only. No segment overlaps a ``marked`` hour."""
    used = filters.used()
    columns = {column for column, _, name in FILTERS if name in used}
    stale = stale_ranges(marked, window.start, window.stop)
    for rollup in MEASUREMENTS[measurement].rollups_for(kind, tuple(fields), columns):
        grains = tuple(grain for grain in reversed(rollup.grains) if window.fits(grain))
        segments = cover_clean(window.start, window.stop, grains, stale)
        if segments:
            return rollup, segments
    return None


def series_query(*, measurement: str, kind: str, fields: tuple[str, ...], filters: SeriesFilter, window: Window,
                 state: RollupState, per_interface: bool = False) -> tuple[str, dict]:
    """The statement reading a chart's series and its parameters. ``state``: the rollups'
    watermark and marked hours, as read before. ``per_interface``: one series for each
    interface of ``filters.ifnames``, its rows keyed by ``ifname`` too."""
    plan = None
    if state.watermark is not None:
        plan = rollup_plan(measurement=measurement, kind=kind, fields=fields, filters=filters, window=window,
                           marked=state.marked)
    params = {**_window_params(window), "stop": window.stop, **filters.params()}
    if plan is None:
        return sql_for(Shape(measurement, kind, fields, filters.used(), None, 0, 0, per_interface)), params
    rollup, segments = plan
    rollup_from, rollup_to = segments[0][1], segments[-1][2]
    raw_gaps = gaps(window.start, rollup_to, segments)
    params.update(rollup_from=rollup_from, rollup_to=rollup_to,
                  tail_from=max(rollup_from, min(rollup_to, state.watermark)))
    for index, (grain, first, last) in enumerate(segments):
        params.update({f"grain_{index}": grain, f"first_{index}": first, f"last_{index}": last})
    for index, (first, last) in enumerate(raw_gaps):
        params.update({f"gap_from_{index}": first, f"gap_to_{index}": last})
    shape = Shape(measurement, kind, fields, filters.used(), rollup.table.name, len(segments), len(raw_gaps),
                  per_interface)
    return sql_for(shape), params


@dataclass(frozen=True)
class SeriesRequest:
    """One series to read: a measurement's fields, aggregated one way, under some filters."""

    measurement: str
    kind: str
    fields: tuple[str, ...]
    filters: SeriesFilter


# Kinds whose series of one device's interfaces can be read as one series per interface
# (traffic and WiFi clients; no chart reads the mode of one interface).
PER_INTERFACE_KINDS = (NUMERIC, DISTINCT)


@dataclass(frozen=True)
class Read:
    """One sub-select of the statement: a request as it is, or (``per_interface``) the
    requests of several interfaces of one device, read together as one series per
    interface of ``request.filters.ifnames``. ``answers``: the positions of the requests it
    answers."""

    request: SeriesRequest
    answers: tuple[int, ...]
    per_interface: bool = False


def _interface_group(request: SeriesRequest, position: int) -> tuple:
    """What the requests read together per interface share: all but the interface. Any
    other request is read alone (its position is its group)."""
    filters = request.filters
    if request.kind in PER_INTERFACE_KINDS and filters.used() == ("device_id", "ifname"):
        return request.measurement, request.kind, request.fields, filters.device_id
    return (position,)


def _read(requests: list[SeriesRequest], positions: list[int]) -> Read:
    first = requests[positions[0]]
    if len(positions) == 1:
        return Read(first, (positions[0],))
    ifnames = tuple(dict.fromkeys(requests[position].filters.ifname for position in positions))
    filters = SeriesFilter(device_id=first.filters.device_id, ifnames=ifnames)
    return Read(SeriesRequest(first.measurement, first.kind, first.fields, filters), tuple(positions),
                per_interface=True)


def plan_reads(requests: list[SeriesRequest]) -> list[Read]:
    """The sub-selects answering these requests, in order of first appearance. A device's
    traffic charts (one per interface: up to ``DEVICE_MAX_INTERFACES`` of them) and its WiFi
    client charts each become one sub-select grouped by interface: the same rows, read
    with one plan instead of one per interface."""
    groups: dict[tuple, list[int]] = {}
    for position, request in enumerate(requests):
        groups.setdefault(_interface_group(request, position), []).append(position)
    return [_read(requests, positions) for positions in groups.values()]


def read_query(read: Read, *, window: Window, state: RollupState) -> tuple[str, dict]:
    """The statement of one sub-select and its parameters."""
    request = read.request
    return series_query(measurement=request.measurement, kind=request.kind, fields=request.fields,
                        filters=request.filters, window=window, state=state, per_interface=read.per_interface)


def _columnar(read: Read, sql: str) -> str:
    """A sub-select's rows as JSON, a column at a time: the series of each row (its
    interface's place in ``ifnames``; read per interface only), its grid position (null:
    the whole-window row) and each of its ``value_columns``. The arrays come from one
    aggregation, so their rows are in the same order, whichever it is: ordered aggregates
    would sort once per array."""
    request = read.request
    columns = [*(["series"] if read.per_interface else []), "position", *value_columns(request.kind, request.fields)]
    arrays = ", ".join(f"array_agg(rows.{name})" for name in columns)
    return f"(SELECT CAST(json_build_array({arrays}) AS text) FROM ({sql}) AS rows)"


def exact_sum(values: list) -> int | Decimal | None:
    """The sum of the non-null values (exact numbers: int or Decimal), exactly; None when
    there is none, as SQL's sum."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    with localcontext(Context(prec=MAX_PREC)):  # no rounding: as exact as PostgreSQL's numeric
        return sum(present)


def _window_total(kind: str, fields: tuple[str, ...], columns: dict[str, list],
                  window_values: list | None) -> dict[str, Partial]:
    """The whole-window partials. Sums and counts add up the buckets' ones (every point of
    the window is in one bucket of the grid); the others are the statement's whole-window
    row (``window_values``; None: the series has no point, its total is that of nothing)."""
    if kind == NUMERIC:
        totals = {column: exact_sum(values) for column, values in columns.items()}
    else:
        totals = dict(zip(columns, window_values or [None] * len(columns), strict=True))
    return {name: partial(kind, [totals[column] for column in field_columns(kind, name)]) for name in fields}


def _series(read: Read, arrays: list[list], buckets: list[datetime]) -> dict[str | None, Series]:
    """The series of a sub-select (its ``_columnar`` arrays) by interface (None: not read
    per interface)."""
    request = read.request
    kind, fields = request.kind, request.fields
    names = list(request.filters.ifnames) if read.per_interface else [None]
    numbers = arrays.pop(0) if read.per_interface else None
    positions, *values = arrays
    # rows[s][b]: the row of bucket b of series s; window_rows[s]: its whole-window row
    rows = [[0] * len(buckets) for _ in names]
    window_rows: list[int | None] = [None] * len(names)
    for row, position in enumerate(positions):
        index = numbers[row] - 1 if numbers else 0
        if position is None:
            window_rows[index] = row
        else:
            rows[index][position - 1] = row
    found = {}
    for name, series_rows, window_row in zip(names, rows, window_rows, strict=True):
        columns = {column: [column_values[row] for row in series_rows]
                   for column, column_values in zip(value_columns(kind, fields), values, strict=True)}
        window_values = None if window_row is None else [column_values[window_row] for column_values in values]
        found[name] = Series(kind, fields, buckets, columns, _window_total(kind, fields, columns, window_values))
    return found


PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=1024)
def _numbered(sql: str, index: int) -> str:
    """The statement with its parameters renamed for its place among others."""
    return PARAMETER.sub(lambda match: f":s{index}_{match.group(1)}", sql)


def read_watermark(session: Session) -> datetime | None:
    """Every period before this instant has been rolled up (None: nothing yet)."""
    return session.execute(text("SELECT watermark FROM rollup_state WHERE id = 1")).scalar()


def read_rollup_state(session: Session, *, device_id: uuid.UUID | None = None) -> RollupState:
    """The watermark and the marked hours that concern one device's charts (``device_id``)
    or any chart (None), in one round trip."""
    watermark, marked = session.execute(text(
        "SELECT (SELECT watermark FROM rollup_state WHERE id = 1),"
        " ARRAY(SELECT DISTINCT hour FROM rollup_backlog WHERE CAST(:device_id AS uuid) IS NULL"
        " OR device_id = :device_id OR device_id IS NULL ORDER BY hour)"), {"device_id": device_id}).one()
    return RollupState(watermark, tuple(marked))


def read_many(session: Session, requests: list[SeriesRequest], *, window: Window,
              state: RollupState) -> list[Series]:
    """The partial aggregates of each request per bucket of ``window`` and over all of it,
    in one statement: each sub-select's rows come back as JSON arrays (numbers parsed as
    exact decimals)."""
    if not requests:
        return []
    # Compiling the statement to machine code (PostgreSQL's JIT, past a planned cost that a
    # device with many interfaces reaches) costs more than the statement saves: 50-100 ms,
    # seconds when the planned cost also passes the optimisation threshold.
    session.execute(text("SET LOCAL jit = off"))
    reads = plan_reads(requests)
    columns = [f"({_numbered(GRID_QUERY, len(reads))})"]
    params = {f"s{len(reads)}_{name}": value for name, value in _window_params(window).items()}
    for index, read in enumerate(reads):
        sql, values = read_query(read, window=window, state=state)
        columns.append(_columnar(read, _numbered(sql, index)))
        params.update({f"s{index}_{name}": value for name, value in values.items()})
    grid, *series_json = session.execute(text("SELECT " + ", ".join(columns)), params).one()
    buckets = [datetime.fromisoformat(bucket) for bucket in json.loads(grid)]
    result: list[Series | None] = [None] * len(requests)
    for read, arrays_json in zip(reads, series_json, strict=True):
        found = _series(read, json.loads(arrays_json, parse_float=Decimal), buckets)
        for position in read.answers:
            result[position] = found[requests[position].filters.ifname if read.per_interface else None]
    return result


def explain(session: Session, sql: str, params: dict) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a chart statement, for benchmarks."""
    rows = session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params)
    return "\n".join(row[0] for row in rows)

