"""Check points written straight into their hypertables, five minutes apart, for availability
reports with exactly known slots."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from monitoring.extensions import db
from monitoring.models import Device
from monitoring.timeseries.chart_tables import ping_points
from monitoring.timeseries.check_tables import data_collected_points

STEP = timedelta(minutes=5)
# Every point lands a little after its slot starts, as a check run does.
OFFSET = timedelta(seconds=17)


def day(days_ago: int) -> datetime:
    """Midnight UTC, ``days_ago`` days before today."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def checks(device: Device, start: datetime, verdicts: str, *, ping: bool = True, data: bool = True) -> None:
    """One slot per character from ``start``: ``u`` up, ``p`` unreachable by ping, ``d`` no
    data collected, ``b`` both, ``.`` no check ran."""
    pings, collected = [], []
    for n, verdict in enumerate(verdicts):
        if verdict == ".":
            continue
        time = start + n * STEP + OFFSET
        if ping:
            pings.append({"time": time, "device_id": device.id, "reachable": int(verdict not in "pb"),
                          "loss": 0.0 if verdict not in "pb" else 100.0})
        if data:
            collected.append({"time": time, "device_id": device.id, "data_collected": int(verdict not in "db")})
    if pings:
        db.session.execute(insert(ping_points), pings)
    if collected:
        db.session.execute(insert(data_collected_points), collected)
    db.session.commit()


def period(start: datetime, end: datetime) -> dict:
    """A custom range in UTC; ``end`` is included."""
    return {"start": start.strftime("%Y-%m-%d %H:%M:%S"), "end": end.strftime("%Y-%m-%d %H:%M:%S"),
            "timezone": "UTC"}
