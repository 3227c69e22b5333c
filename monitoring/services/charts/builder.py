"""Charts as the API shows them (docs/api.md §10.4, docs/metrics.md §2.4–2.5, §3.1, §3.4): the
catalogue entry of each chart plus its series, finished into values, rounded, ordered, with
the shared ``x`` labels; or the same as CSV.

The series come from ``monitoring.timeseries.chart_queries`` as partial aggregates (exact
sums and counts, modes, unique counts); here they become means, sums and scaled values.
Charts reading the same points (uptime, packet loss and RTT all read the ping points) share
one series of all their fields; the series of a request are read in one statement. Charts
without a single value of their own fields in the window are left out.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from monitoring.extensions import db
from monitoring.registry import CHARTS, MEAN, MODE, ROUNDED_MEAN, SUM, UNIQUE_COUNT, ChartConfig, Trace
from monitoring.timeseries import sources
from monitoring.timeseries.chart_queries import (
    Partial,
    PartialColumns,
    Series,
    SeriesFilter,
    SeriesRequest,
    Window,
    plan_reads,
    read_many,
    read_query,
    read_rollup_state,
)

log = logging.getLogger(__name__)

LABEL_FORMAT = "%Y-%m-%d %H:%M"
# How each aggregate is stored and read.
STORAGE_KIND = {MEAN: sources.NUMERIC, ROUNDED_MEAN: sources.NUMERIC, SUM: sources.NUMERIC,
                MODE: sources.MODE, UNIQUE_COUNT: sources.DISTINCT}
OPTIONAL_KEYS = ("fill", "xaxis", "yaxis", "trace_type", "trace_order", "calculate_total", "connect_points",
                 "trace_labels")


@dataclass(frozen=True)
class ChartRequest:
    """One chart to draw: a catalogue entry, the points it reads, and the tags its title
    and description are formatted with (``ifname``)."""

    configuration: str
    filters: SeriesFilter
    tags: tuple[tuple[str, str], ...] = ()


@dataclass
class ChartSet:
    charts: list[dict] = field(default_factory=list)
    x: list[str] | None = None  # None when no chart has data


def round_value(value: Any) -> Any:
    """Two decimals, or four below 0.01 (negatives included), as the reference rounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return round(value, 4) if value < 0.01 else round(value, 2)


def round_values(values: list) -> list:
    """``round_value`` of each value, in one pass (a device's charts have tens of thousands
    of values): only floats change, ``round`` gives an int back as it is."""
    return [(round(value, 4) if value < 0.01 else round(value, 2)) if type(value) is float else value
            for value in values]


def finish(trace: Trace, partial: Partial | None) -> Any:
    """The value of a trace from the partial aggregate of its field."""
    partial = partial or Partial()
    (value,) = finish_buckets(trace, PartialColumns([partial.count], [partial.sum], [partial.value]))
    return value


def finish_buckets(trace: Trace, partials: PartialColumns) -> list:
    """The values of a trace from the partial aggregates of its field, bucket by bucket
    (a device's charts have tens of thousands of them: one loop per trace)."""
    if trace.aggregate == UNIQUE_COUNT:
        return [count or 0 for count in partials.count]  # a bucket without points has 0 clients, not null
    if trace.aggregate == MODE:
        return [value if count else None for count, value in zip(partials.count, partials.value, strict=True)]
    multiplier, divisor = trace.multiplier, trace.divisor
    values = []
    for count, total in zip(partials.count, partials.sum, strict=True):
        if not count:
            values.append(None)
            continue
        if trace.aggregate == SUM:
            value = float(total)  # an exact int or Decimal, rounded to the nearest float either way
        else:
            mean = Decimal(total) / count
            if trace.aggregate == ROUNDED_MEAN:
                # InfluxQL's ROUND: halves away from zero (-3.5 -> -4)
                mean = mean.quantize(Decimal(1), rounding=ROUND_HALF_UP)
            value = float(mean)
        values.append(value * multiplier / divisor)
    return values


def chart_series(config: ChartConfig) -> tuple[str, tuple[str, ...]]:
    """How the chart's traces are stored (one kind per chart in the catalogue) and the
    fields they read, in trace order."""
    (kind,) = {STORAGE_KIND[trace.aggregate] for trace in config.traces}
    return kind, tuple(dict.fromkeys(trace.field for trace in config.traces))


def _series_key(request: ChartRequest, config: ChartConfig) -> tuple:
    """Charts with the same key share one series request: numeric fields of a measurement
    are summed and counted each on its own, so one statement serves any set of them; a mode
    or a unique count reads a single field."""
    kind, fields = chart_series(config)
    return config.measurement, kind, request.filters, None if kind == sources.NUMERIC else fields


def _series_requests(charts: list[tuple[ChartRequest, ChartConfig]]) -> dict[tuple, SeriesRequest]:
    """One series request per key, reading the fields of all its charts."""
    merged: dict[tuple, SeriesRequest] = {}
    for request, config in charts:
        key = _series_key(request, config)
        kind, fields = chart_series(config)
        shared = merged.get(key)
        if shared is not None:
            fields = tuple(dict.fromkeys((*shared.fields, *fields)))
        merged[key] = SeriesRequest(config.measurement, kind, fields, request.filters)
    return merged


def _rollup_state(requests: list[ChartRequest]):
    """The rollups' state for these charts: the marks of their one device, if they all read
    one device's points; every mark otherwise."""
    devices = {request.filters.device_id for request in requests}
    return read_rollup_state(db.session, device_id=devices.pop() if len(devices) == 1 else None)


def chart_statements(requests: list[ChartRequest], *, window: Window) -> list[tuple[str, str, dict]]:
    """The sub-selects (charts served, SQL, parameters) of the statement ``build_charts``
    runs for these charts: for EXPLAIN in benchmarks."""
    charts = [(request, CHARTS[request.configuration]) for request in dict.fromkeys(requests)
              if request.configuration in CHARTS]
    state = _rollup_state([request for request, _ in charts])
    merged = _series_requests(charts)
    keys = list(merged)
    statements = []
    for read in plan_reads(list(merged.values())):
        answered = {keys[position] for position in read.answers}
        served = " ".join(dict.fromkeys(request.configuration for request, config in charts
                                        if _series_key(request, config) in answered))
        if read.per_interface:
            served += f" of {len(read.request.filters.ifnames)} interfaces"
        statements.append((served, *read_query(read, window=window, state=state)))
    return statements


def _chart_json(config: ChartConfig, series: Series, tags: dict) -> dict:
    traces = sorted(config.traces, key=lambda trace: trace.name)
    chart = {
        "traces": [
            [trace.name, round_values(finish_buckets(trace, series.bucket_partials(trace.field)))]
            for trace in traces
        ],
        "summary": {},
        "description": config.description.format(**tags),
        "title": config.title.format(**tags),
        "type": config.type,
        "unit": config.unit,
        "summary_labels": list(config.summary_labels) if config.summary_labels else None,
        "colors": config.resolved_colors,
        "colorscale": config.colorscale,
    }
    for trace in traces:
        value = finish(trace, series.total.get(trace.field))
        chart["summary"][trace.name] = round_value(value) if value else value
    for key in OPTIONAL_KEYS:
        value = getattr(config, key)
        if value:
            chart[key] = list(value) if isinstance(value, tuple) else value
    return chart


def build_charts(requests: list[ChartRequest], *, window: Window) -> ChartSet:
    """The charts with data in the window, in display order, and their shared x labels.
    Charts reading the same points share one series; every series is read in one statement."""
    drawable: list[tuple[ChartRequest, ChartConfig, dict, str]] = []
    for request in dict.fromkeys(requests):  # each distinct chart once, in order
        config = CHARTS.get(request.configuration)
        tags = dict(request.tags)
        try:
            if config is None:
                raise KeyError(request.configuration)
            title = config.title.format(**tags)
        except KeyError as exc:
            # A chart row the catalogue cannot draw must not fail the whole response.
            log.warning("chart %s skipped: unknown configuration or tag %s", request.configuration, exc)
            continue
        drawable.append((request, config, tags, title))
    merged = _series_requests([(request, config) for request, config, *_ in drawable])
    state = _rollup_state([request for request, *_ in drawable])
    read = dict(zip(merged, read_many(db.session, list(merged.values()), window=window, state=state), strict=True))
    result = ChartSet()
    drawn: list[tuple[str, dict]] = []
    for request, config, tags, title in drawable:
        series = read[_series_key(request, config)]
        if not series.has_data(chart_series(config)[1]):
            continue
        if result.x is None:
            result.x = [bucket.strftime(LABEL_FORMAT) for bucket in series.buckets]
        drawn.append((f"{config.order} {title}", _chart_json(config, series, tags)))
    result.charts = [chart for _, chart in sorted(drawn, key=lambda item: item[0])]
    return result


def charts_csv(chart_set: ChartSet) -> str:
    """``time`` and one column per trace of every chart (display order, traces sorted), one
    row per bucket; empty cells for nulls."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    columns = [(trace_name, values) for chart in chart_set.charts for trace_name, values in chart["traces"]]
    titles = [chart["title"] for chart in chart_set.charts for _ in chart["traces"]]
    writer.writerow(["time", *[f"{name} - {title}" for (name, _), title in zip(columns, titles, strict=True)]])
    for index, label in enumerate(chart_set.x or []):
        writer.writerow([label, *[values[index] for _, values in columns]])
    return output.getvalue()
