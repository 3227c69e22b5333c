"""Writing points: one multi-row INSERT per hypertable per sample.

``ON CONFLICT DO NOTHING`` on the (device, [interface,] time) primary keys makes a resent
sample a no-op instead of a duplicate.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from psycopg2.extras import execute_values, register_uuid
from sqlalchemy import text
from sqlalchemy.orm import Session

from monitoring.timeseries.tables import HYPERTABLES

register_uuid()  # uuid.UUID values travel as native uuid parameters on raw cursors

TABLES = {table.name: table for table in HYPERTABLES}
COLUMNS = {name: tuple(column.name for column in table.columns) for name, table in TABLES.items()}
# Built once from our own table definitions; request values only ever travel as parameters.
INSERT_SQL = {
    name: f"INSERT INTO {name} ({', '.join(columns)}) VALUES %s ON CONFLICT DO NOTHING"
    for name, columns in COLUMNS.items()
}
# How far back a back-filled sample looks for its predecessor's counters.
COUNTER_LOOKBACK = timedelta(days=7)


def insert_points(session: Session, rows_by_table: dict[str, list[dict]]) -> int:
    """Insert the rows, one multi-row statement per table, in the session's transaction;
    returns how many were new (points of a resent sample are skipped)."""
    inserted = 0
    cursor = session.connection().connection.cursor()
    try:
        for name, rows in rows_by_table.items():
            if not rows:
                continue
            columns = COLUMNS[name]
            values = [tuple(row.get(column) for column in columns) for row in rows]
            execute_values(cursor, INSERT_SQL[name], values, page_size=1000)
            inserted += max(cursor.rowcount, 0)
    finally:
        cursor.close()
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
