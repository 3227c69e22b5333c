"""Helpers for the tests of checks, health status and notifications.

Ping targets are loopback addresses, or addresses in a network namespace the test creates
(``probe_network``): a veth pair whose far end answers pings and a neighbour address on the
same link that nobody holds (no ARP answer, so every probe is lost). No other address is
ever pinged.
"""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, text

from monitoring.extensions import db
from monitoring.models import Check, DeviceMonitoring, Metric, Notification, utcnow
from monitoring.registry import CHECK_TYPES
from monitoring.services.checks import runs

# Fast probes: an unreachable address costs count × interval + timeout, about 70 ms.
FAST_PING = {"count": 2, "interval": 10, "timeout": 50}


@dataclass(frozen=True)
class ProbeNetwork:
    reachable: str  # the far end of the veth pair, in the namespace: answers pings
    unreachable: str  # on the same link, held by nobody: every probe is lost


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextmanager
def probe_namespace():
    """A network namespace joined to this one by a veth pair, torn down at the end."""
    pid = os.getpid()
    name = f"montest{pid}"
    host_link, peer_link = f"mt{pid % 100000}a", f"mt{pid % 100000}b"
    base = f"10.203.{pid % 256}.{8 * ((pid // 256) % 32)}"
    prefix = base.rsplit(".", 1)[0]
    last = int(base.rsplit(".", 1)[1])
    host, peer, nobody = (f"{prefix}.{last + i}" for i in (1, 2, 3))
    _ip("netns", "add", name)
    try:
        _ip("link", "add", host_link, "type", "veth", "peer", "name", peer_link)
        _ip("link", "set", peer_link, "netns", name)
        _ip("addr", "add", f"{host}/29", "dev", host_link)
        _ip("link", "set", host_link, "up")
        _ip("netns", "exec", name, "ip", "addr", "add", f"{peer}/29", "dev", peer_link)
        _ip("netns", "exec", name, "ip", "link", "set", peer_link, "up")
        yield ProbeNetwork(reachable=peer, unreachable=nobody)
    finally:
        subprocess.run(["ip", "link", "del", host_link], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def add_check(device, check_type: str, *, params=None, is_active: bool = True) -> Check:
    check = Check(device_id=device.id, name=CHECK_TYPES[check_type].label, check_type=check_type,
                  is_active=is_active, params=params if params is not None else
                  (FAST_PING if check_type == "ping" else {}))
    db.session.add(check)
    db.session.commit()
    return check


def run_checks(**kwargs) -> runs.RunSummary:
    summary = runs.run_checks(**kwargs)
    db.session.expire_all()
    return summary


def set_status(device, status: str) -> None:
    db.session.execute(text("UPDATE device_monitoring SET status = :s WHERE device_id = :d"),
                       {"s": status, "d": device.id})
    db.session.commit()


def status_of(device) -> str:
    db.session.expire_all()
    return db.session.get(DeviceMonitoring, device.id).status


def metric(device, configuration: str) -> Metric | None:
    db.session.expire_all()
    return db.session.scalar(select(Metric).where(Metric.device_id == device.id,
                                                  Metric.configuration == configuration))


def flags(device, configuration: str) -> tuple:
    row = metric(device, configuration)
    return (row.is_healthy, row.is_healthy_tolerant) if row else None


def set_tolerance(device, configuration: str, minutes: int) -> None:
    row = metric(device, configuration)
    row.alert_settings.custom_tolerance = minutes
    db.session.commit()


def notifications(device=None) -> list[Notification]:
    db.session.expire_all()
    statement = select(Notification).order_by(Notification.timestamp, Notification.type)
    if device is not None:
        statement = statement.where(Notification.device_id == device.id)
    return list(db.session.scalars(statement))


def points(table: str, device) -> list[dict]:
    rows = db.session.execute(text(f"SELECT * FROM {table} WHERE device_id = :d ORDER BY time"), {"d": device.id})
    return [dict(row._mapping) for row in rows]


def received(device, *, minutes_ago: float) -> None:
    """As if the device's latest sample had arrived that long ago."""
    db.session.execute(
        text("""INSERT INTO device_data (device_id, data, sample_time, received_at)
                VALUES (:d, '{"type": "DeviceMonitoring"}', :t, :t)
                ON CONFLICT (device_id) DO UPDATE SET received_at = EXCLUDED.received_at"""),
        {"d": device.id, "t": utcnow() - timedelta(minutes=minutes_ago)},
    )
    db.session.commit()
