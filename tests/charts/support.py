"""Writing points straight into the hypertables, and the metric and chart rows that make a
device show them, for chart tests with exactly known data."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert

from monitoring.extensions import db
from monitoring.models import Chart, Device, Metric
from monitoring.registry import METRICS
from monitoring.timeseries import chart_tables, tables

TABLES = {table.name: table for table in (*tables.HYPERTABLES, chart_tables.ping_points)}


def at(text: str) -> datetime:
    """``"2024-05-01 00:01:30"`` as a UTC instant."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def add_points(table_name: str, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(TABLES[table_name]), rows)
        db.session.commit()


def dashboard_tags(device: Device, location_id=None, floorplan_id=None) -> dict:
    return {"organization_id": device.organization_id, "location_id": location_id, "floorplan_id": floorplan_id}


def ping(device: Device, time: str, reachable: int, loss=None, rtt_min=None, rtt_max=None, rtt_avg=None) -> dict:
    return {"time": at(time), "device_id": device.id, "reachable": reachable, "loss": loss,
            "rtt_min": rtt_min, "rtt_max": rtt_max, "rtt_avg": rtt_avg}


def traffic(device: Device, time: str, ifname: str, rx: int, tx: int, **tags) -> dict:
    return {"time": at(time), "device_id": device.id, "ifname": ifname, **(tags or dashboard_tags(device)),
            "rx_bytes": rx, "tx_bytes": tx, "rx_counter": None, "tx_counter": None}


def clients(device: Device, time: str, ifname: str, macs: list[str], **tags) -> list[dict]:
    return [{"time": at(time), "device_id": device.id, "ifname": ifname, **(tags or dashboard_tags(device)),
             "client_mac": mac} for mac in macs]


def resource(device: Device, table: str, time: str, value: float) -> dict:
    field = {"cpu_points": "cpu_usage", "memory_points": "percent_used", "disk_points": "used_disk"}[table]
    return {"time": at(time), "device_id": device.id, field: value}


def signal(device: Device, time: str, ifname: str = "lte0", **values) -> dict:
    row = {"time": at(time), "device_id": device.id, "ifname": ifname, "signal_strength": None,
           "signal_power": None, "signal_quality": None, "snr": None, "access_tech": None}
    row.update(values)
    return row


def add_metric(device: Device, configuration: str, *, ifname: str = "", name: str | None = None,
               charts: tuple[str, ...] | None = None, is_healthy: bool | None = None) -> Metric:
    """A metric row with its charts (all of the registry's by default)."""
    config = METRICS[configuration]
    metric = Metric(id=uuid.uuid4(), device_id=device.id, configuration=configuration, name=name or config.label,
                    key=config.key, field_name=config.field_name, ifname=ifname, is_healthy=is_healthy)
    db.session.add(metric)
    db.session.flush()  # charts reference the metric by id only: no relationship orders the inserts
    for chart in config.charts if charts is None else charts:
        db.session.add(Chart(metric_id=metric.id, configuration=chart))
    db.session.commit()
    return metric


def log_in(client, user) -> None:
    """A browser session for ``user`` on the test client."""
    from monitoring.auth import SESSION_KEY
    from monitoring.services.accounts import sessions

    key = sessions.start(user=user)
    with client.session_transaction() as session:
        session[SESSION_KEY] = key


def sample_document(*, eth0=None, wlan0_clients=None, resources=True) -> dict:
    """A NetJSON DeviceMonitoring sample: ``eth0`` counters (rx, tx), ``wlan0`` clients,
    and the test resources (cpu 50 %, memory, disk)."""
    interfaces = []
    if eth0 is not None:
        statistics = {"rx_bytes": eth0[0], "tx_bytes": eth0[1]}
        interfaces.append({"name": "eth0", "type": "ethernet", "statistics": statistics})
    if wlan0_clients is not None:
        interfaces.append({"name": "wlan0", "type": "wireless", "wireless": {
            "channel": 1, "country": "US", "frequency": 2412, "mode": "access_point", "noise": -95, "ssid": "net",
            "tx_power": 20, "htmode": "HT20",
            "clients": [{"mac": mac, "auth": True, "authorized": True, "ht": True, "vht": False, "wmm": True,
                         "mfp": False} for mac in wlan0_clients],
        }})
    document = {"type": "DeviceMonitoring", "interfaces": interfaces}
    if resources:
        document["resources"] = {
            "load": [0.5, 0.4, 0.3], "cpus": 1,
            "memory": {"total": 100_000_000, "free": 60_000_000, "buffered": 10_000_000, "shared": 0},
            "disk": [{"mount_point": "/", "filesystem": "overlay", "used_bytes": 25, "available_bytes": 75,
                      "used_percent": 25, "size_bytes": 100}],
        }
    return document


def post_sample(client, device, document: dict, *, time: str | None = None):
    """POST a sample as the device does; ``time`` as ``2024-05-01 00:01:00`` (UTC)."""
    query = f"?key={device.key}"
    if time is not None:
        query += "&time=" + at(time).strftime("%d-%m-%Y_%H:%M:%S.%f")
    response = client.post(f"/api/v1/monitoring/device/{device.id}/{query}", json=document)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response
