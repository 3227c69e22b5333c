"""Charts as a CSV download, the same for every chart endpoint (docs/metrics.md §3.4)."""
from __future__ import annotations

from flask import Response

# With ``csv=true`` the 200 is a CSV file instead of JSON.
CSV_SCHEMA = {"type": "string"}


def csv_response(text: str) -> Response:
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=data.csv"})
