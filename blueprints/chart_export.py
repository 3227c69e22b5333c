"""What every chart endpoint answers alike: charts as a CSV download (docs/metrics.md §3.4),
and a ``Warning`` header when a chart parameter was ignored."""
from __future__ import annotations

from flask import Response

from monitoring.services.charts import window as chart_window

# With ``csv=true`` the 200 is a CSV file instead of JSON.
CSV_SCHEMA = {"type": "string"}


def csv_response(text: str, *, headers: dict[str, str] | None = None) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=data.csv", **(headers or {})})


def chart_headers(args: dict) -> dict[str, str]:
    """Response headers of a chart read: a ``Warning`` (RFC 7234 code 299, "miscellaneous
    persistent warning") when a lone ``start`` or ``end`` was ignored, so a caller learns
    why the window is not the one asked for while programs read the same body."""
    ignored = chart_window.ignored_bound(args)
    return {"Warning": f'299 - "{ignored}"'} if ignored else {}
