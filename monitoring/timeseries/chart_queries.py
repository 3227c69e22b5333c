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

The SQL text is a template per kind of query in ``monitoring/timeseries/sql/`` (one per
variant where raw-only and rollup reads differ), rendered by ``sql_templates.render`` from
the *shape* of a query only (measurement, kind, fields, which filters, how many rollup
segments and raw gaps are read, per interface or not) and cached per shape; every value of a
request travels as a bind parameter. Table and column names come from our own table
definitions. ``tests/charts/golden/`` holds the rendered text of each family of shapes.
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
from monitoring.timeseries.sql_templates import RenderedSql, render

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


# --- SQL text, rendered once per shape -----------------------------------------------------

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


# The template of each kind (monitoring/timeseries/sql/): raw points only, and with rollups.
TEMPLATES = {
    NUMERIC: ("numeric_raw.sql", "numeric.sql"),
    MODE: ("mode.sql", "mode.sql"),
    DISTINCT: ("distinct_raw.sql", "distinct.sql"),
}


def _window_params(window: Window) -> dict:
    """The parameters of the buckets of a window."""
    return {"width": window.width, "timezone": window.timezone, "origin": BUCKET_ORIGIN, "start": window.start,
            "end": window.end}


@lru_cache(maxsize=512)
def sql_for(shape: Shape) -> RenderedSql:
    """The statement of a query shape, from its kind's template. What the templates read:

    - ``raw``, ``rollup``: the tables (``rollup`` None: raw points only);
    - ``raw_parts``: the raw ranges read, each ``"window"`` (raw points only), a gap's
      number (``:gap_from_<n>``, ``:gap_to_<n>``) or ``"tail"``; ``segments``: how many
      rollup segments (``:grain_<n>``, ``:first_<n>``, ``:last_<n>``);
    - ``filters``: (column, SQL type of a list or None, parameter) of the filters in force;
    - ``per_interface``: one series per interface of ``:ifnames``;
    - ``field`` (mode, distinct), ``sums`` and ``sum_columns`` (numeric): the field and its
      partial-aggregate columns; ``columns``: the series' ``value_columns``;
      ``window_rows``: whether whole-window rows follow the buckets (not for sums and
      counts); ``page_bits``: client ids per bitmap page.
    """
    raw_only, with_rollups = TEMPLATES[shape.kind]
    return render(
        raw_only if shape.rollup is None else with_rollups,
        raw=MEASUREMENTS[shape.measurement].raw.name,
        rollup=shape.rollup,
        raw_parts=("window",) if shape.rollup is None else (*range(shape.gaps), "tail"),
        segments=shape.segments,
        filters=tuple(spec for spec in FILTERS if spec[2] in shape.filters),
        per_interface=shape.per_interface,
        field=shape.fields[0],
        sums=tuple((name, *sum_columns(name)) for name in shape.fields),
        sum_columns=tuple(sum_columns(*shape.fields)),
        columns=tuple(value_columns(shape.kind, shape.fields)),
        window_rows=shape.kind != NUMERIC,
        page_bits=CLIENT_PAGE_BITS,
    )


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


def series_shape(*, measurement: str, kind: str, fields: tuple[str, ...], filters: SeriesFilter, window: Window,
                 state: RollupState, per_interface: bool = False) -> tuple[Shape, dict]:
    """The shape of the statement reading a chart's series, and its parameters. ``state``:
    the rollups' watermark and marked hours, as read before. ``per_interface``: one series
    for each interface of ``filters.ifnames``, its rows keyed by ``ifname`` too."""
    plan = None
    if state.watermark is not None:
        plan = rollup_plan(measurement=measurement, kind=kind, fields=fields, filters=filters, window=window,
                           marked=state.marked)
    params = {**_window_params(window), "stop": window.stop, **filters.params()}
    if plan is None:
        return Shape(measurement, kind, fields, filters.used(), None, 0, 0, per_interface), params
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
    return shape, params


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


def read_shape(read: Read, *, window: Window, state: RollupState) -> tuple[Shape, dict]:
    """The shape of one sub-select and its parameters."""
    request = read.request
    return series_shape(measurement=request.measurement, kind=request.kind, fields=request.fields,
                        filters=request.filters, window=window, state=state, per_interface=read.per_interface)


def read_query(read: Read, *, window: Window, state: RollupState) -> tuple[str, dict]:
    """The statement of one sub-select and its parameters."""
    shape, params = read_shape(read, window=window, state=state)
    return sql_for(shape), params


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
    """The series of a sub-select (its arrays, ``statement_sql``) by interface (None: not read
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
def _numbered(sql: RenderedSql, number: int) -> RenderedSql:
    """The statement with its parameters renamed for its place among others (``:width`` of
    the third: ``:s2_width``)."""
    return RenderedSql(PARAMETER.sub(lambda match: f":s{number}_{match.group(1)}", sql))


class SubSelect(NamedTuple):
    """A sub-select of a request's statement: its columns, as ``statement.sql`` reads them,
    and its text."""

    columns: tuple[str, ...]
    sql: RenderedSql


@lru_cache(maxsize=256)
def statement_sql(shapes: tuple[Shape, ...]) -> RenderedSql:
    """The statement of a request whose sub-selects have these shapes (``statement.sql``):
    each sub-select's rows as JSON arrays, one per column (the series of each row, read per
    interface only; its grid position, null for the whole-window row; each of its
    ``value_columns``), after the window's bucket starts."""
    sub_selects = [
        SubSelect((*(["series"] if shape.per_interface else []), "position", *value_columns(shape.kind, shape.fields)),
                  _numbered(sql_for(shape), number))
        for number, shape in enumerate(shapes)
    ]
    return render("statement.sql", buckets=_numbered(render("buckets.sql"), len(shapes)), sub_selects=sub_selects)


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
    shapes, params = [], {f"s{len(reads)}_{name}": value for name, value in _window_params(window).items()}
    for number, read in enumerate(reads):
        shape, values = read_shape(read, window=window, state=state)
        shapes.append(shape)
        params.update({f"s{number}_{name}": value for name, value in values.items()})
    grid, *series_json = session.execute(text(statement_sql(tuple(shapes))), params).one()
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

