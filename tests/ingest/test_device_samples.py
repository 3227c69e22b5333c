"""Device sample POST: validation order, what is stored, idempotence, health, sessions."""
from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from monitoring.extensions import db
from monitoring.models import AlertSettings, Chart, DeviceData, DeviceMonitoring, Metric, WifiClient, WifiSession


def url(device, key=None, **params):
    params = {"key": device.key if key is None else key, **params}
    query = "&".join(f"{k}={v}" for k, v in params.items() if v is not ...)
    return f"/api/v1/monitoring/device/{device.id}/?{query}"


def interface(name, rx=None, tx=None, **extra):
    data = {"name": name, "type": extra.pop("type", "ethernet")}
    statistics = {}
    if rx is not None:
        statistics["rx_bytes"] = rx
    if tx is not None:
        statistics["tx_bytes"] = tx
    if statistics:
        data["statistics"] = statistics
    data.update(extra)
    return data


def client_entry(mac, **flags):
    return {"mac": mac, "auth": True, "authorized": True, "ht": True, "vht": False, "wmm": True,
            "mfp": False, **flags}


def wireless(name, clients, *, mode="access_point", ssid="testnet", htmode="HT20", rx=None, tx=None):
    return interface(name, rx, tx, type="wireless", wireless={
        "channel": 1, "country": "US", "frequency": 2412, "mode": mode, "noise": -95, "ssid": ssid,
        "tx_power": 20, "htmode": htmode, "clients": clients,
    })


RESOURCES = {
    "load": [0.5, 0.4, 0.3], "cpus": 1,
    "memory": {"total": 249774080, "free": 224497664, "buffered": 974848, "shared": 102400},
    "disk": [{"mount_point": "/", "filesystem": "overlay", "used_bytes": 18792, "available_bytes": 11204,
              "used_percent": 63, "size_bytes": 29996}],
}


def sample(*interfaces, resources=None):
    document = {"type": "DeviceMonitoring", "interfaces": list(interfaces)}
    if resources is not None:
        document["resources"] = resources
    return document


def post(client, device, document, **params):
    body = document if isinstance(document, (bytes, str)) else json.dumps(document)
    return client.post(url(device, **params), data=body, content_type="application/json")


def rows(sql, **params):
    db.session.expire_all()
    return db.session.execute(text(sql), params).all()


def count(table, device):
    return db.session.execute(text(f"SELECT count(*) FROM {table} WHERE device_id = :d"), {"d": device.id}).scalar()


# --- validation order and errors -------------------------------------------------------

def test_accepted_sample_answers_200_with_an_empty_body(client, device):
    response = post(client, device, sample())
    assert response.status_code == 200
    assert response.data == b""
    assert response.mimetype == "application/json"


def test_dashless_pk_is_accepted(client, device):
    response = client.post(f"/api/v1/monitoring/device/{device.id.hex}/?key={device.key}",
                           json=sample())
    assert response.status_code == 200


def test_unknown_device_is_404(client, device):
    response = client.post(f"/api/v1/monitoring/device/{'0' * 8}-0000-4000-8000-{'0' * 12}/?key=x", json=sample())
    assert response.status_code == 404


@pytest.mark.parametrize("key", ["", "WRONG", "missing"])
def test_wrong_or_missing_key_is_403(client, device, key):
    target = f"/api/v1/monitoring/device/{device.id}/" + ("" if key == "missing" else f"?key={key}")
    response = client.post(target, json=sample())
    assert response.status_code == 403
    assert response.get_json() == {"detail": "Authentication credentials were not provided."}
    assert count("traffic_points", device) == 0


def test_key_check_comes_before_body_parsing(client, device):
    response = client.post(url(device, key="WRONG"), data="{not json", content_type="application/json")
    assert response.status_code == 403


def test_deactivated_device_and_disabled_organization_are_404(client, make, org, device):
    device.is_deactivated = True
    db.session.commit()
    response = post(client, device, sample())
    assert response.status_code == 404 and response.get_json() == {"detail": "Not found."}
    other = make.device(make.org(is_active=False))
    assert post(client, other, sample()).status_code == 404


@pytest.mark.parametrize("body, fragment", [
    ("{not json", "JSON parse error - "),
    ('{"type": "DeviceMonitoring", "x": NaN}', "JSON parse error - NaN is not a valid JSON value"),
    ('{"type": "DeviceMonitoring", "type": "DeviceMonitoring"}', "duplicate key 'type'"),
    ('[' * 100000 + ']' * 100000, "JSON parse error - "),
])
def test_malformed_json_is_400_with_the_parser_message(client, device, body, fragment):
    response = post(client, device, body)
    assert response.status_code == 400
    assert fragment in response.get_json()["detail"]


def test_non_utf8_body_is_400(client, device):
    response = post(client, device, b'{"type": "DeviceMonitoring", "x": "\xff"}')
    assert response.status_code == 400
    assert "UTF-8" in response.get_json()["detail"]


def test_wrong_content_type_is_415(client, device):
    response = client.post(url(device), data=json.dumps(sample()), content_type="text/plain")
    assert response.status_code == 415


def test_oversized_body_is_413_and_writes_nothing(client, device, app):
    big = sample(interface("eth0", 1, 1, padding="x" * (app.config["DEVICE_DATA_MAX_BYTES"] + 10)))
    response = post(client, device, big)
    assert response.status_code == 413
    assert count("traffic_points", device) == 0


def test_schema_error_is_a_bare_json_string(client, device):
    response = post(client, device, {"interfaces": []})
    assert response.status_code == 400
    assert response.get_json() == "Invalid data in \"#/\", validator says:\n\n'type' is a required property"


def test_schema_error_path_points_at_the_bad_item(client, device):
    response = post(client, device, {"type": "DeviceMonitoring", "interfaces": [{}]})
    assert response.status_code == 400
    assert response.get_json().startswith('Invalid data in "#/interfaces/0"')
    assert "'name' is a required property" in response.get_json()


def test_empty_body_fails_the_schema(client, device):
    response = client.post(url(device), data=b"", content_type="application/json")
    assert response.status_code == 400
    assert "'type' is a required property" in response.get_json()


@pytest.mark.parametrize("time", ["02-05-2024 10:15:31", "", "2024-05-02_10:15:31.000000", "02-05-2024_10:15:31"])
def test_bad_time_is_400(client, device, time):
    response = post(client, device, sample(interface("eth0", 10, 10)), time=time)
    assert response.status_code == 400
    assert response.get_json() == {"detail": "Incorrect time format"}
    assert count("traffic_points", device) == 0


def test_schema_errors_win_over_time_errors(client, device):
    response = post(client, device, {"interfaces": []}, time="bad")
    assert response.status_code == 400
    assert isinstance(response.get_json(), str)


# --- what is stored ---------------------------------------------------------------------

def test_snapshot_is_the_transformed_document(client, device):
    document = sample(wireless("wlan0", [client_entry("00:ee:ad:34:f5:3b")], htmode="HT20"))
    document["interfaces"][0]["wireless"]["bitrate"] = 1100
    assert post(client, device, document).status_code == 200
    stored = db.session.get(DeviceData, device.id).data
    expected = copy.deepcopy(document)
    expected["interfaces"][0]["wireless"]["bitrate"] = 1.1
    expected["interfaces"][0]["wireless"]["clients"][0]["vht"] = None
    assert stored == expected


def test_traffic_points_are_counter_increments_with_reset_handling(client, device):
    for rx in (324, 400000000, 500000000, 1200000000):
        assert post(client, device, sample(interface("wlan0", rx, 0))).status_code == 200
    for rx in (2275, 2000000000, 0, 1000000000):
        assert post(client, device, sample(interface("wlan1", rx, 0))).status_code == 200
    by_interface = {}
    for row in rows("SELECT ifname, rx_bytes FROM traffic_points WHERE device_id = :d ORDER BY time", d=device.id):
        by_interface.setdefault(row.ifname, []).append(row.rx_bytes)
    assert by_interface["wlan0"] == [324, 399999676, 100000000, 700000000]
    assert by_interface["wlan1"] == [2275, 1999997725, 0, 1000000000]


def test_missing_counter_counts_as_zero_and_floats_are_truncated(client, device):
    assert post(client, device, sample(interface("eth0", None, 1234))).status_code == 200
    (row,) = rows("SELECT rx_bytes, tx_bytes FROM traffic_points WHERE device_id = :d", d=device.id)
    assert (row.rx_bytes, row.tx_bytes) == (0, 1234)


def test_interface_names_are_normalised_in_tags_but_not_in_metric_names(client, device):
    assert post(client, device, sample(interface("eth0.2", 1, 1), interface("br-lan", 1, 1),
                                       interface("WAN", 1, 1))).status_code == 200
    ifnames = {r.ifname for r in rows("SELECT ifname FROM traffic_points WHERE device_id = :d", d=device.id)}
    assert ifnames == {"eth0_2", "br_lan", "wan"}
    names = set(db.session.scalars(select(Metric.name).where(Metric.device_id == device.id)))
    assert names == {"eth0.2 traffic", "br-lan traffic", "WAN traffic"}


def test_dashboard_tags_are_stored_on_traffic_and_client_points(client, make, org, device):
    location = make.location(org)
    from monitoring.models import DeviceLocation

    db.session.add(DeviceLocation(device_id=device.id, location_id=location.id))
    db.session.commit()
    document = sample(wireless("wlan0", [client_entry("aa:bb:cc:dd:ee:01")], rx=5, tx=5))
    assert post(client, device, document).status_code == 200
    for table in ("traffic_points", "wifi_client_points"):
        (row,) = rows(f"SELECT organization_id, location_id, floorplan_id FROM {table} WHERE device_id = :d",
                      d=device.id)
        assert (row.organization_id, row.location_id, row.floorplan_id) == (org.id, location.id, None)


def test_points_of_one_sample_share_its_time_device_and_tags_each_with_its_own_interface(client, make, org,
                                                                                        device):
    """The time, device and tags travel once per insert, the rest one value per row."""
    from monitoring.models import DeviceLocation

    location = make.location(org)
    db.session.add(DeviceLocation(device_id=device.id, location_id=location.id))
    db.session.commit()
    document = sample(wireless("wlan0", [client_entry("aa:bb:cc:dd:ee:01"), client_entry("aa:bb:cc:dd:ee:02")],
                               rx=5, tx=6),
                      wireless("wlan1", [client_entry("aa:bb:cc:dd:ee:03")], rx=7, tx=8))
    assert post(client, device, document, time=agent_time(datetime.now(UTC) - timedelta(minutes=1))).status_code == 200
    clients = rows("SELECT time, organization_id, location_id, ifname, client_mac FROM wifi_client_points"
                   " WHERE device_id = :d ORDER BY client_mac", d=device.id)
    traffic = rows("SELECT time, organization_id, location_id, ifname, rx_counter, tx_counter FROM traffic_points"
                   " WHERE device_id = :d ORDER BY ifname", d=device.id)
    assert len({row.time for row in [*clients, *traffic]}) == 1
    assert {(row.organization_id, row.location_id) for row in [*clients, *traffic]} == {(org.id, location.id)}
    assert [(row.ifname, row.client_mac) for row in clients] == [
        ("wlan0", "aa:bb:cc:dd:ee:01"), ("wlan0", "aa:bb:cc:dd:ee:02"), ("wlan1", "aa:bb:cc:dd:ee:03")]
    assert [(row.ifname, row.rx_counter, row.tx_counter) for row in traffic] == [("wlan0", 5, 6), ("wlan1", 7, 8)]


def test_wifi_client_points_one_per_client(client, device):
    clients = [client_entry(f"aa:bb:cc:dd:ee:{i:02x}") for i in range(4)]
    assert post(client, device, sample(wireless("wlan0", clients))).status_code == 200
    macs = [r.client_mac for r in rows("SELECT client_mac FROM wifi_client_points WHERE device_id = :d", d=device.id)]
    assert sorted(macs) == [f"aa:bb:cc:dd:ee:{i:02x}" for i in range(4)]


def test_resources_metrics_values(client, device):
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200
    (cpu,) = rows("SELECT cpu_usage, load_1, load_5, load_15 FROM cpu_points WHERE device_id = :d", d=device.id)
    assert (cpu.cpu_usage, cpu.load_1, cpu.load_5, cpu.load_15) == (50.0, 0.5, 0.4, 0.3)
    (memory,) = rows("SELECT * FROM memory_points WHERE device_id = :d", d=device.id)
    assert memory.percent_used == pytest.approx(9.729419481797308)
    assert (memory.total_memory, memory.free_memory, memory.buffered_memory, memory.shared_memory) == (
        249774080, 224497664, 974848, 102400)
    assert memory.cached_memory is None and memory.available_memory is None
    (disk,) = rows("SELECT used_disk FROM disk_points WHERE device_id = :d", d=device.id)
    assert disk.used_disk == pytest.approx(100 * 18792 / 29996)


@pytest.mark.parametrize("available, expected", [(225567664, 9.301032356920302), (2232664, 9.729419481797308)])
def test_memory_uses_available_only_when_larger_than_free(client, device, available, expected):
    resources = copy.deepcopy(RESOURCES)
    resources["memory"]["available"] = available
    assert post(client, device, sample(resources=resources)).status_code == 200
    (memory,) = rows("SELECT percent_used, available_memory FROM memory_points WHERE device_id = :d", d=device.id)
    assert memory.percent_used == pytest.approx(expected)
    assert memory.available_memory == available


@pytest.mark.parametrize("change", [
    {"cpus": 0}, {"load": [0.5]}, {"memory": {"total": 0, "free": 0, "buffered": 0, "shared": 0}},
])
def test_odd_resources_skip_the_metric_instead_of_failing(client, device, change):
    resources = {**copy.deepcopy(RESOURCES), **change}
    response = post(client, device, sample(resources=resources))
    assert response.status_code == 200
    skipped = "cpu_points" if ("cpus" in change or "load" in change) else "memory_points"
    assert count(skipped, device) == 0
    assert count("disk_points", device) == 1


def test_disk_of_zero_size_is_full(client, device):
    resources = {"disk": [{"mount_point": "/", "filesystem": "x", "used_bytes": 0, "available_bytes": 0,
                           "used_percent": 0, "size_bytes": 0}]}
    assert post(client, device, sample(resources=resources)).status_code == 200
    assert rows("SELECT used_disk FROM disk_points WHERE device_id = :d", d=device.id)[0].used_disk == 100


def test_mobile_signal_metrics(client, device):
    modem = interface("mobile0", type="modem-manager", mobile={
        "imei": "300000001234567", "operator_code": "22250", "operator_name": "op", "connection_status": "connected",
        "power_status": "on", "manufacturer": "m", "model": "x",
        "signal": {"lte": {"rssi": -70, "rsrp": -100.0, "rsrq": -10, "snr": 13.0}, "umts": {"ecio": -3}},
    })
    assert post(client, device, sample(modem)).status_code == 200
    (row,) = rows("SELECT * FROM signal_points WHERE device_id = :d", d=device.id)
    assert (row.signal_strength, row.signal_power, row.signal_quality, row.snr, row.access_tech) == (
        -70.0, -100.0, -10.0, 13.0, 4)
    configurations = set(db.session.scalars(select(Metric.configuration).where(Metric.device_id == device.id)))
    assert configurations == {"signal_strength", "signal_quality", "access_tech"}
    charts = set(db.session.scalars(select(Chart.configuration)))
    assert charts == {"signal_strength", "signal_quality", "access_tech"}


def test_full_sample_creates_metrics_charts_and_alert_settings_once(client, device):
    document = sample(wireless("wlan0", [client_entry("aa:00:00:00:00:01")], rx=10, tx=10),
                      wireless("wlan1", [], rx=10, tx=10), resources=RESOURCES)
    assert post(client, device, document).status_code == 200
    assert post(client, device, document).status_code == 200
    metrics = db.session.scalar(select(func.count()).select_from(Metric).where(Metric.device_id == device.id))
    charts = db.session.scalar(select(func.count()).select_from(Chart))
    alert_settings = db.session.scalar(select(func.count()).select_from(AlertSettings))
    assert (metrics, charts, alert_settings) == (7, 7, 3)


# --- idempotence, back-fill, snapshot rule ---------------------------------------------

def test_resending_the_same_sample_adds_no_points(client, device):
    document = sample(wireless("wlan0", [client_entry("aa:00:00:00:00:01")], rx=100, tx=50), resources=RESOURCES)
    time = "02-05-2024_10:15:31.000000"
    assert post(client, device, document, time=time).status_code == 200
    before = {t: count(t, device) for t in ("traffic_points", "wifi_client_points", "cpu_points", "memory_points")}
    assert post(client, device, document, time=time).status_code == 200
    after = {t: count(t, device) for t in before}
    assert before == after == {"traffic_points": 1, "wifi_client_points": 1, "cpu_points": 1, "memory_points": 1}


def test_backfilled_sample_writes_points_but_keeps_the_current_snapshot(client, device):
    now = datetime.now(UTC)
    assert post(client, device, sample(interface("eth0", 5000, 5000))).status_code == 200
    old = (now - timedelta(days=1)).strftime("%d-%m-%Y_%H:%M:%S.%f")
    assert post(client, device, sample(interface("eth0", 100, 100)), time=old).status_code == 200
    snapshot = db.session.get(DeviceData, device.id)
    assert snapshot.data["interfaces"][0]["statistics"]["rx_bytes"] == 5000
    assert count("traffic_points", device) == 2
    # current=true makes even an old sample the current status
    assert post(client, device, sample(interface("eth0", 200, 200)), time=old, current="true").status_code == 200
    db.session.expire_all()
    assert db.session.get(DeviceData, device.id).data["interfaces"][0]["statistics"]["rx_bytes"] == 200


def agent_time(moment: datetime) -> str:
    return moment.strftime("%d-%m-%Y_%H:%M:%S.%f")


def rx_increments(device) -> list[int]:
    return [r.rx_bytes for r in rows("SELECT rx_bytes FROM traffic_points WHERE device_id = :d ORDER BY time",
                                     d=device.id)]


def test_backfill_increments_come_from_the_preceding_stored_point(client, device):
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    assert post(client, device, sample(interface("eth0", 10_000, 0))).status_code == 200  # "now": newest
    for step, rx in enumerate((1000, 1600, 2600)):
        time = agent_time(base + timedelta(minutes=5 * step))
        assert post(client, device, sample(interface("eth0", rx, 0)), time=time).status_code == 200
    assert rx_increments(device)[:3] == [1000, 600, 1000]


@pytest.mark.parametrize("current", [None, "true"])
def test_a_sample_sent_between_stored_ones_counts_each_stretch_once(client, device, current):
    """Counters 1000, then 3000 ten minutes later; the sample of the minute in between (2000)
    arrives last, as current or not: each stretch of traffic is counted once, the next live
    sample included."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    for minutes, rx in ((0, 1000), (10, 3000)):
        assert post(client, device, sample(interface("eth0", rx, 0)), time=agent_time(
            start + timedelta(minutes=minutes))).status_code == 200
    late = post(client, device, sample(interface("eth0", 2000, 0)), current=current,
                time=agent_time(start + timedelta(minutes=5)))
    assert late.status_code == 200
    assert post(client, device, sample(interface("eth0", 4000, 0))).status_code == 200  # live, now
    assert rx_increments(device) == [1000, 1000, 1000, 1000]
    snapshot = db.session.get(DeviceData, device.id).data
    assert snapshot["interfaces"][0]["statistics"]["rx_bytes"] == 4000


# --- health ----------------------------------------------------------------------------

def status_of(device):
    db.session.expire_all()
    return db.session.get(DeviceMonitoring, device.id).status


def test_new_device_becomes_ok_after_its_first_healthy_sample(client, device):
    assert status_of(device) == "unknown"
    assert post(client, device, sample(interface("eth0", 1, 1))).status_code == 200
    assert status_of(device) == "unknown"  # traffic has no alert settings
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200
    assert status_of(device) == "ok"
    flags = {m.configuration: (m.is_healthy, m.is_healthy_tolerant)
             for m in db.session.scalars(select(Metric).where(Metric.device_id == device.id))}
    assert flags["cpu"] == flags["memory"] == flags["disk"] == (True, True)
    assert flags["traffic"] == (None, None)


def test_unhealthy_value_makes_the_device_problem_and_recovery_makes_it_ok(client, device):
    full_disk = copy.deepcopy(RESOURCES)
    full_disk["disk"][0]["used_bytes"] = 29000  # 96.7% > 90, tolerance 0
    assert post(client, device, sample(resources=full_disk)).status_code == 200
    assert status_of(device) == "problem"
    disk = db.session.scalar(select(Metric).where(Metric.device_id == device.id, Metric.configuration == "disk"))
    assert (disk.is_healthy, disk.is_healthy_tolerant) == (False, False)
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200
    assert status_of(device) == "ok"


def test_historical_samples_never_change_health(client, device):
    full_disk = copy.deepcopy(RESOURCES)
    full_disk["disk"][0]["used_bytes"] = 29000
    old = (datetime.now(UTC) - timedelta(minutes=6)).strftime("%d-%m-%Y_%H:%M:%S.%f")
    assert post(client, device, sample(resources=full_disk), time=old).status_code == 200
    assert status_of(device) == "unknown"
    assert count("disk_points", device) == 1


# --- WiFi sessions ---------------------------------------------------------------------

def sessions(device):
    db.session.expire_all()
    return db.session.scalars(select(WifiSession).where(WifiSession.device_id == device.id)
                              .order_by(WifiSession.start_time, WifiSession.wifi_client_id)).all()


def test_sessions_open_close_and_reopen(client, device):
    a, b = client_entry("00:ee:ad:34:f5:3b"), client_entry("b0:e1:7e:30:16:44")
    assert post(client, device, sample(wireless("wlan0", [a, b]))).status_code == 200
    first = sessions(device)
    assert [(s.wifi_client_id, s.interface_name, s.ssid, s.stop_time) for s in first] == [
        ("00:ee:ad:34:f5:3b", "wlan0", "testnet", None), ("b0:e1:7e:30:16:44", "wlan0", "testnet", None)]
    assert post(client, device, sample(wireless("wlan0", [a]))).status_code == 200
    by_client = {s.wifi_client_id: s for s in sessions(device)}
    assert by_client["b0:e1:7e:30:16:44"].stop_time is not None
    assert by_client["00:ee:ad:34:f5:3b"].stop_time is None
    assert post(client, device, sample(wireless("wlan0", [a, b]))).status_code == 200
    all_sessions = sessions(device)
    assert len(all_sessions) == 3
    assert sum(1 for s in all_sessions if s.stop_time is None) == 2


def test_sessions_only_for_access_point_wireless_interfaces(client, device):
    station = wireless("wlan1", [client_entry("aa:00:00:00:00:02")], mode="station")
    mesh = wireless("mesh0", [client_entry("aa:00:00:00:00:03")], mode="802.11s")
    assert post(client, device, sample(station, mesh)).status_code == 200
    assert sessions(device) == []
    assert count("wifi_client_points", device) == 2  # the clients chart counts them all


def test_wifi_client_flags_follow_htmode(client, device):
    noht = client_entry("aa:00:00:00:00:04", ht=True, vht=True, he=True)
    vht = client_entry("aa:00:00:00:00:05", ht=True, vht=False, he=False)
    document = sample(wireless("wlan0", [noht], htmode="NOHT"), wireless("wlan1", [vht], htmode="VHT80"))
    assert post(client, device, document).status_code == 200
    db.session.expire_all()
    first = db.session.get(WifiClient, (device.organization_id, "aa:00:00:00:00:04"))
    second = db.session.get(WifiClient, (device.organization_id, "aa:00:00:00:00:05"))
    assert (first.ht, first.vht, first.he, first.wmm, first.wds, first.wps) == (None, None, None, True, False, False)
    assert (second.ht, second.vht, second.he) == (True, False, None)


def test_a_sample_without_clients_closes_every_session(client, device):
    assert post(client, device, sample(wireless("wlan0", [client_entry("aa:00:00:00:00:06")]))).status_code == 200
    assert post(client, device, sample()).status_code == 200
    assert all(s.stop_time is not None for s in sessions(device))


def test_rejected_samples_write_nothing(client, device):
    bad = {"type": "DeviceMonitoring", "interfaces": [{"name": "x", "speed": 1000}]}
    assert post(client, device, bad).status_code == 400
    for table in ("traffic_points", "wifi_client_points", "cpu_points"):
        assert count(table, device) == 0
    assert db.session.get(DeviceData, device.id) is None
    assert status_of(device) == "unknown"


def test_a_failure_mid_write_leaves_nothing(client, device, monkeypatch):
    """Every write of the sample has run when a statement fails, in the message that also
    carries the COMMIT: nothing may stay."""
    import psycopg2

    from monitoring.timeseries import sample_store

    real_writes = sample_store.STORE_SAMPLE_WRITES
    monkeypatch.setattr(sample_store, "STORE_SAMPLE_WRITES", real_writes + "; SELECT 1 / 0")
    document = sample(wireless("wlan0", [client_entry("aa:00:00:00:00:07")], rx=10, tx=10), resources=RESOURCES)
    with pytest.raises(psycopg2.errors.DivisionByZero):
        post(client, device, document)
    for table in ("traffic_points", "wifi_client_points", "cpu_points", "memory_points", "disk_points"):
        assert count(table, device) == 0
    assert db.session.get(DeviceData, device.id) is None
    assert sessions(device) == []
    assert db.session.get(WifiClient, (device.organization_id, "aa:00:00:00:00:07")) is None
    assert status_of(device) == "unknown"
    monkeypatch.setattr(sample_store, "STORE_SAMPLE_WRITES", real_writes)
    assert post(client, device, document).status_code == 200  # the connection went back clean
    assert count("cpu_points", device) == 1


def test_tolerance_looks_back_at_stored_points_and_notifies_managers(client, make, org, device):
    from monitoring.models import Notification

    manager = make.user(manages=[org])
    make.user(manages=[make.org()])  # manages another organization: not told
    superuser = make.user(superuser=True)
    busy = copy.deepcopy(RESOURCES)
    busy["load"] = [0.95, 0.9, 0.9]  # 95% > 90
    # Creates the metric; historical (outside the look-back window), so never judged.
    long_ago = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%d-%m-%Y_%H:%M:%S.%f")
    assert post(client, device, sample(resources=RESOURCES), time=long_ago).status_code == 200
    cpu = db.session.scalar(select(Metric).where(Metric.device_id == device.id, Metric.configuration == "cpu"))
    cpu.alert_settings.custom_tolerance = 5
    db.session.commit()
    old = (datetime.now(UTC) - timedelta(minutes=6)).strftime("%d-%m-%Y_%H:%M:%S.%f")
    assert post(client, device, sample(resources=busy), time=old).status_code == 200  # history: stored only
    assert status_of(device) == "unknown"
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert post(client, device, sample(resources=busy)).status_code == 200  # now: crossed for 6 minutes
    db.session.expire_all()
    cpu = db.session.get(Metric, cpu.id)
    assert (cpu.is_healthy, cpu.is_healthy_tolerant) == (False, False)
    rows = db.session.scalars(select(Notification)).all()
    assert {n.recipient_id for n in rows} == {manager.id, superuser.id}
    assert {(n.type, n.level, n.device_id, n.unread) for n in rows} == {("cpu_problem", "warning", device.id, True)}
    assert rows[0].message == (f"The device [{device.name}](/api/v1/monitoring/device/{device.id}/) "
                               "is experiencing a peak in CPU usage, which has gone over 90%.")
    assert status_of(device) == "problem"


def test_a_critical_device_sending_data_asks_for_its_critical_checks(client, device):
    db.session.get(DeviceMonitoring, device.id).status = "critical"
    db.session.commit()
    assert post(client, device, sample(interface("eth0", 1, 1))).status_code == 200
    pending = db.session.execute(text("SELECT device_id FROM check_requests")).scalars().all()
    assert pending == [device.id]
    assert post(client, device, sample(interface("eth0", 2, 2))).status_code == 200  # one request, not two
    assert db.session.execute(text("SELECT count(*) FROM check_requests")).scalar() == 1


def test_a_healthy_device_asks_for_nothing(client, device):
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200
    assert db.session.execute(text("SELECT count(*) FROM check_requests")).scalar() == 0


def test_samples_older_than_the_rollup_watermark_mark_their_hour(client, device):
    from monitoring.timeseries.rollups import refresh_rollups

    old = (datetime.now(UTC) - timedelta(days=2)).replace(minute=15, second=31, microsecond=0)
    old_time = old.strftime("%d-%m-%Y_%H:%M:%S.%f")
    # Before any refresh there are no rollups to be stale: nothing to mark.
    assert post(client, device, sample(interface("eth0", 1, 1)), time=old_time).status_code == 200
    assert db.session.execute(text("SELECT count(*) FROM rollup_backlog")).scalar() == 0
    refresh_rollups(db.session)
    assert post(client, device, sample(interface("eth0", 2, 2))).status_code == 200  # real time: nothing
    assert db.session.execute(text("SELECT count(*) FROM rollup_backlog")).scalar() == 0
    later = (old + timedelta(minutes=5)).strftime("%d-%m-%Y_%H:%M:%S.%f")
    assert post(client, device, sample(interface("eth0", 3, 3)), time=later).status_code == 200
    marks = rows("SELECT device_id, hour FROM rollup_backlog")
    assert [(mark.device_id, mark.hour) for mark in marks] == [(device.id, old.replace(minute=0, second=0))]
