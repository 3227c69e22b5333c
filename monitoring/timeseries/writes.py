"""Writing points: one multi-row INSERT per hypertable per sample.

``ON CONFLICT DO NOTHING`` on the (device, [interface,] time) primary keys makes a resent
sample a no-op instead of a duplicate.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from monitoring.timeseries.tables import HYPERTABLES

TABLES = {table.name: table for table in HYPERTABLES}
# How far back a back-filled sample looks for its predecessor's counters.
COUNTER_LOOKBACK = timedelta(days=7)


def insert_points(session: Session, rows_by_table: dict[str, list[dict]]) -> int:
    """Insert the rows; returns how many were new (resent points are skipped)."""
    inserted = 0
    for name, rows in rows_by_table.items():
        if not rows:
            continue
        table = TABLES[name]
        columns = [column.name for column in table.columns]
        # A multi-row VALUES list needs the same columns in every row.
        complete = [{column: row.get(column) for column in columns} for row in rows]
        result = session.execute(insert(table).on_conflict_do_nothing(), complete)
        inserted += max(result.rowcount, 0)
    return inserted


def counters_before(session: Session, *, device_id: uuid.UUID, time: datetime) -> dict:
    """The traffic counters each interface had at its last point before ``time``: the
    predecessor of a back-filled sample, which the latest snapshot is not."""
    rows = session.execute(
        text(
            """
            SELECT DISTINCT ON (ifname) ifname, rx_counter, tx_counter
            FROM traffic_points
            WHERE device_id = :device_id AND time < :time AND time >= :since
            ORDER BY ifname, time DESC
            """
        ),
        {"device_id": device_id, "time": time, "since": time - COUNTER_LOOKBACK},
    )
    return {row.ifname: (row.rx_counter, row.tx_counter) for row in rows}


def count_points(session: Session, *, device_id: uuid.UUID | None = None) -> dict[str, int]:
    """Rows per hypertable (for one device, or all): used by benchmarks and tests."""
    counts = {}
    for name in TABLES:
        sql = f"SELECT count(*) FROM {name}"  # table names come from our own registry
        params = {}
        if device_id is not None:
            sql += " WHERE device_id = :device_id"
            params["device_id"] = device_id
        counts[name] = session.execute(text(sql), params).scalar_one()
    return counts
