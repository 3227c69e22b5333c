"""Row counts of the hypertables, for benchmarks and tests."""
from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from monitoring.timeseries.tables import HYPERTABLES


def count_points(session: Session, *, device_id: uuid.UUID | None = None) -> dict[str, int]:
    """Rows per hypertable, for one device or all of them."""
    counts = {}
    for table in HYPERTABLES:
        sql = f"SELECT count(*) FROM {table.name}"  # names from our own table definitions
        params = {}
        if device_id is not None:
            sql += " WHERE device_id = :device_id"
            params["device_id"] = device_id
        counts[table.name] = session.execute(text(sql), params).scalar_one()
    return counts
