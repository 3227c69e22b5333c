"""Charts as the API shows them (spec api.md §10.4, metrics.md §2.4–2.5, §3.1, §3.4): the
catalogue entry of each chart plus its series, finished into values, rounded, ordered, with
the shared ``x`` labels; or the same as CSV.

The series come from ``monitoring.timeseries.chart_queries`` as partial aggregates (exact
sums and counts, modes, unique counts); here they become means, sums and scaled values. The
series of every chart of a request are read in one statement; charts without a single value
in the window are left out.
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
    Series,
    SeriesFilter,
    SeriesRequest,
    Window,
    read_many,
    read_watermark,
    series_query,
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


def finish(trace: Trace, partial: Partial | None) -> Any:
    """The value of a trace from the partial aggregate of its field."""
    partial = partial or Partial()
    if trace.aggregate == UNIQUE_COUNT:
        return partial.count  # a bucket without points has 0 clients, not null
    if not partial.count:
        return None
    if trace.aggregate == MODE:
        return partial.value
    if trace.aggregate == SUM:
        value = float(partial.sum)
    else:
        mean = partial.sum / partial.count
        if trace.aggregate == ROUNDED_MEAN:
            # InfluxQL's ROUND: halves away from zero (-3.5 -> -4)
            mean = mean.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        value = float(mean)
    return value * trace.multiplier / trace.divisor


def fields_by_kind(config: ChartConfig) -> dict[str, tuple[str, ...]]:
    """The fields each storage kind reads for the chart's traces (one kind in the catalogue)."""
    grouped: dict[str, list[str]] = {}
    for trace in config.traces:
        fields = grouped.setdefault(STORAGE_KIND[trace.aggregate], [])
        if trace.field not in fields:
            fields.append(trace.field)
    return {kind: tuple(fields) for kind, fields in grouped.items()}


def chart_statements(request: ChartRequest, *, window: Window) -> list[tuple[str, dict]]:
    """The statements (SQL, parameters) a chart runs: for EXPLAIN in benchmarks."""
    config = CHARTS[request.configuration]
    watermark = read_watermark(db.session)
    return [
        series_query(measurement=config.measurement, kind=kind, fields=fields, filters=request.filters,
                     window=window, watermark=watermark)
        for kind, fields in fields_by_kind(config).items()
    ]


def _combined(parts: list[Series]) -> Series:
    """One chart's series from its parts (one per storage kind: one in the catalogue)."""
    combined = Series(buckets=parts[0].buckets, values=[{} for _ in parts[0].buckets])
    for series in parts:
        for merged, values in zip(combined.values, series.values, strict=True):
            merged.update(values)
        combined.total.update(series.total)
    return combined


def _chart_json(config: ChartConfig, series: Series, tags: dict) -> dict:
    traces = sorted(config.traces, key=lambda trace: trace.name)
    chart = {
        "traces": [
            [trace.name, [round_value(finish(trace, values.get(trace.field))) for values in series.values]]
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
    Every series of every chart is read in one statement."""
    drawable: list[tuple[ChartConfig, dict, str, list[SeriesRequest]]] = []
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
        series = [SeriesRequest(config.measurement, kind, fields, request.filters)
                  for kind, fields in fields_by_kind(config).items()]
        drawable.append((config, tags, title, series))
    series_requests = [series for *_, parts in drawable for series in parts]
    read = iter(read_many(db.session, series_requests, window=window, watermark=read_watermark(db.session)))
    result = ChartSet()
    drawn: list[tuple[str, dict]] = []
    for config, tags, title, parts in drawable:
        series = _combined([next(read) for _ in parts])
        if not series.has_data:
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
