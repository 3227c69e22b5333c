"""The SQL of the active checks: what they measure from stored data, and writing their
points. Like ``sample_store`` it works on a DBAPI cursor, so a run's writes share the
transaction (and the device locks) of its health changes."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.timeseries.chart_tables import ping_points
from monitoring.timeseries.check_tables import data_collected_points, wifi_client_count_points

POINT_TABLES = {table.name: table for table in (ping_points, data_collected_points, wifi_client_count_points)}
POINT_COLUMNS = {name: tuple(column.name for column in table.columns) for name, table in POINT_TABLES.items()}


def insert_points(cursor, table: str, rows: list[dict]) -> None:
    """One multi-row insert; a point already stored at the same instant is kept."""
    if not rows:
        return
    columns = POINT_COLUMNS[table]  # KeyError for anything but our own tables
    placeholders = ",".join(["(" + ",".join(["%s"] * len(columns)) + ")"] * len(rows))
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} ON CONFLICT DO NOTHING",
        [row.get(column) for row in rows for column in columns],
    )


def lock_statuses(cursor, device_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Lock the status rows of these devices, in id order (two runs never deadlock), and
    return their statuses; a device deleted meanwhile is simply absent. A device's samples
    wait for the lock, as its health is being changed."""
    cursor.execute(
        "SELECT device_id, status FROM device_monitoring WHERE device_id = ANY(%s) ORDER BY device_id FOR UPDATE",
        (list(device_ids),),
    )
    return {_uuid(device_id): status for device_id, status in cursor.fetchall()}


def last_received(cursor, device_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each device's latest sample arrived (devices that never sent one are absent)."""
    cursor.execute("SELECT device_id, received_at FROM device_data WHERE device_id = ANY(%s)", (list(device_ids),))
    return {_uuid(device_id): received_at for device_id, received_at in cursor.fetchall()}


def wifi_client_counts(cursor, device_ids: list[uuid.UUID], *, now: datetime, max_window: timedelta,
                       min_window: timedelta) -> dict[uuid.UUID, tuple[int, int]]:
    """Distinct client MACs per device over the short window (for the maximum) and over the
    long one (for the minimum); devices without clients are absent."""
    longest = max(max_window, min_window)
    cursor.execute(
        """SELECT device_id,
                  count(DISTINCT client_mac) FILTER (WHERE time >= %(max_since)s),
                  count(DISTINCT client_mac) FILTER (WHERE time >= %(min_since)s)
           FROM wifi_client_points
           WHERE device_id = ANY(%(devices)s) AND time >= %(since)s AND time <= %(now)s
           GROUP BY device_id""",
        {"devices": list(device_ids), "since": now - longest, "max_since": now - max_window,
         "min_since": now - min_window, "now": now},
    )
    return {_uuid(device_id): (most, least) for device_id, most, least in cursor.fetchall()}


def latest_point(session: Session, table: str, device_id: uuid.UUID) -> dict | None:
    """The device's newest point in one of the checks' tables (all its columns), or None."""
    points = POINT_TABLES[table]
    row = session.execute(
        select(points).where(points.c.device_id == device_id).order_by(points.c.time.desc()).limit(1)
    ).mappings().first()
    return dict(row) if row is not None else None


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
