"""Late samples are on every chart the moment they are acknowledged: a sample posted with a
`time` in an hour the rollups already cover is read raw until the next refresh recomputes
that hour, so the chart right after the 200 equals the chart after a refresh, and both equal
the chart read from raw points only — for device charts and the dashboard, at every range,
in UTC and in a zone with a DST change and one with a half-hour offset."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text

from monitoring.extensions import db
from monitoring.services.charts import dashboard
from monitoring.services.charts import device as device_charts
from monitoring.services.charts.window import parse_window
from monitoring.timeseries import chart_tables
from monitoring.timeseries.rollups import refresh_rollups
from tests.ingest.test_device_samples import client_entry, interface, wireless

TIME_FORMAT = "%d-%m-%Y_%H:%M:%S.%f"
HISTORY_DAYS = 40
HISTORY_STEP = timedelta(hours=3)
LATE = [timedelta(hours=2), timedelta(hours=6), timedelta(days=3), timedelta(days=29)]


def document(n: int, *, busy: bool = False) -> dict:
    """A sample whose every value depends on ``n``: traffic on the dashboard's `wan`, WiFi
    clients, cpu, memory and disk."""
    clients = [client_entry(f"aa:00:00:00:{n % 7:02x}:{c:02x}") for c in range(1 + n % 3)]
    if busy:
        clients.append(client_entry("bb:00:00:00:00:01"))
    resources = {
        "load": [0.97 if busy else 0.1 + n % 10 / 20, 0.1, 0.1], "cpus": 1,
        "memory": {"total": 1000, "free": 300 + n % 200, "buffered": 10, "shared": 1},
        "disk": [{"mount_point": "/", "filesystem": "overlay", "used_bytes": 100 + n % 50,
                  "available_bytes": 900, "used_percent": 10, "size_bytes": 1000}],
    }
    rx = 1_000_000 * n + (777_777 if busy else 0)
    return {"type": "DeviceMonitoring", "resources": resources,
            "interfaces": [interface("wan", rx, rx // 3), wireless("wlan0", clients, rx=rx // 2, tx=rx // 5)]}


def post(client, device, body: dict, at: datetime):
    return client.post(f"/api/v1/monitoring/device/{device.id}/?key={device.key}&time={at.strftime(TIME_FORMAT)}",
                       data=json.dumps(body), content_type="application/json")


@pytest.fixture
def network(client, make, app_context):
    org = make.org()
    location = make.location(org)
    device = make.device(org)
    db.session.execute(text("INSERT INTO device_locations (device_id, location_id) VALUES (:d, :l)"),
                       {"d": device.id, "l": location.id})
    db.session.commit()
    now = datetime.now(UTC).replace(microsecond=0)
    steps = int(timedelta(days=HISTORY_DAYS) / HISTORY_STEP)
    for n in range(steps):
        at = now - timedelta(days=HISTORY_DAYS) + n * HISTORY_STEP + timedelta(minutes=7)
        assert post(client, device, document(n), at).status_code == 200
    refresh_rollups(db.session)
    return {"device": device, "user": make.user(superuser=True), "now": now}


def chart_windows(now: datetime, timezone: str):
    ranges = [{"time": days} for days in ("1d", "7d", "30d", "365d")]
    ranges.append({"start": (now - timedelta(days=35)).strftime("%Y-%m-%d 00:00:00"),
                   "end": (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")})
    return [parse_window(time_range=r.get("time"), start=r.get("start"), end=r.get("end"), timezone=timezone,
                         default_time="7d", default_timezone="UTC", now=now) for r in ranges]


def read(network, windows) -> list:
    """Device detail charts and dashboard charts of every window, as the API builds them."""
    scope = dashboard.scope(user=network["user"])
    result = []
    for window in windows:
        device_set = device_charts.device_charts(device=network["device"], window=window)
        dashboard_set = dashboard.dashboard_charts(dashboard=scope, window=window)
        result.append(((device_set.x, device_set.charts), (dashboard_set.x, dashboard_set.charts)))
    return result


def read_all(network, windows) -> list:
    result = read(network, windows)
    db.session.commit()
    return result


def read_without(network, windows, statement) -> list:
    """What the reads give with ``statement`` applied, undone afterwards."""
    savepoint = db.session.begin_nested()
    db.session.execute(statement)
    result = read(network, windows)
    savepoint.rollback()
    db.session.commit()
    return result


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Rome", "Asia/Kolkata"])
def test_late_samples_are_on_every_chart_at_once(client, network, timezone):
    windows = chart_windows(network["now"], timezone)
    before = read_all(network, windows)
    for age in LATE:
        late = network["now"] - age + timedelta(minutes=31)
        assert post(client, network["device"], document(int(age.total_seconds()) // 3600, busy=True),
                    late).status_code == 200

    right_after = read_all(network, windows)
    raw = read_without(network, windows, delete(chart_tables.rollup_state))
    # Without the marks, the rollups of those hours would hide the late samples: the test
    # would see the difference.
    stale = read_without(network, windows, delete(chart_tables.rollup_backlog))
    refresh_rollups(db.session)
    after_refresh = read_all(network, windows)

    assert right_after == raw
    assert after_refresh == raw
    for index, (now, earlier) in enumerate(zip(right_after, before, strict=True)):
        assert now != earlier, f"window {index}: the late samples must show"
    assert stale != raw
    # every chart of the device and of the dashboard had data to compare
    titles = {chart["title"] for device_part, dashboard_part in raw for _, charts in (device_part, dashboard_part)
              for chart in charts}
    assert {"General WiFi Clients", "General Traffic"} <= titles and len(titles) >= 7, titles
