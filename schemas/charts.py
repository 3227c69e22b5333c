"""Charts: their parameters and the charts a device detail and the dashboard show
(docs/api.md §10)."""
from __future__ import annotations

from marshmallow import fields

from schemas.common import BaseSchema
from schemas.filters import FilterSchema, QueryBoolean


class ChartArgsSchema(FilterSchema):
    """Chart parameters. Kept as strings: the chart engine checks them, after access, in
    the reference's order and with its messages (a JSON list with one string)."""

    class Meta(FilterSchema.Meta):
        exclude = ("page", "page_size")

    time = fields.String(metadata={"description": "`Nd`, 1 ≤ N ≤ 365 (e.g. `1d`, `7d`, `30d`, `365d`); "
                                                  "default `7d`"})
    start = fields.String(metadata={"description": "custom range start, `YYYY-MM-DD HH:MM:SS`, wall-clock time "
                                                   "in `timezone` (not ISO 8601); only with `end`: either "
                                                   "alone is ignored and `time` applies"})
    end = fields.String(metadata={"description": "custom range end, `YYYY-MM-DD HH:MM:SS` in `timezone`, "
                                                 "included; only with `start`"})
    timezone = fields.String(metadata={"description": "IANA zone of buckets and labels, e.g. `Europe/Rome`; "
                                                      "default the server's"})
    csv = QueryBoolean(metadata={"description": "`true`: the charts as CSV (`text/csv`)"})


class ChartSchema(BaseSchema):
    traces = fields.List(fields.Raw(), metadata={"description": "`[name, [value per x]]`, sorted by name"})
    summary = fields.Dict(metadata={"description": "per trace, over the whole window"})
    description = fields.String()
    title = fields.String()
    type = fields.String(metadata={"description": "`bar`, `scatter`, `stackedbar+lines`"})
    unit = fields.String(allow_none=True)
    summary_labels = fields.List(fields.String(), allow_none=True)
    colors = fields.List(fields.String(), allow_none=True)
    colorscale = fields.Dict(allow_none=True)
    fill = fields.String()
    xaxis = fields.Dict()
    yaxis = fields.Dict()
    trace_type = fields.Dict()
    trace_order = fields.List(fields.String())
    calculate_total = fields.Boolean()
    connect_points = fields.Boolean()
    trace_labels = fields.Dict()


class ChartsSchema(BaseSchema):
    charts = fields.List(fields.Nested(ChartSchema), metadata={"description": "charts with data, in display order"})
    x = fields.List(fields.String(), metadata={"description": "bucket starts (`YYYY-MM-DD HH:MM`, in `timezone`); "
                                                             "absent when no chart has data"})
