"""The alert-settings and checks endpoints of a device: values, validation, tenancy."""
from __future__ import annotations

from ipaddress import ip_network

import pytest
from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import AlertSettings, Check, Metric
from schemas.common import UTCDateTime
from tests.checks.support import add_check, points, run_checks, set_status
from tests.ingest.test_device_samples import RESOURCES, client_entry, interface, post, sample, wireless
from tests.inventory.support import NOT_AUTHENTICATED, NOT_MANAGER


@pytest.fixture
def device(make, org, client):
    device = make.device(org)
    assert post(client, device, sample(interface("eth0", 1, 1), resources=RESOURCES)).status_code == 200
    return device


@pytest.fixture
def manager_headers(make, org):
    return make.headers(make.user(manages=[org]))


def _metric(device, configuration):
    return db.session.scalar(select(Metric).where(Metric.device_id == device.id, Metric.configuration == configuration))


def settings_url(device, metric):
    return f"/api/v1/monitoring/device/{device.id}/metric/{metric.id}/alert-settings/"


def stored(metric):
    db.session.expire_all()
    row = db.session.get(AlertSettings, metric.id)
    return row.is_active, row.custom_operator, row.custom_threshold, row.custom_tolerance


# --- alert settings ---------------------------------------------------------------------

def test_alert_settings_show_effective_values_and_defaults(client, device, manager_headers):
    cpu = _metric(device, "cpu")
    response = client.get(settings_url(device, cpu), headers=manager_headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "metric": str(cpu.id), "is_active": True, "operator": ">", "threshold": 90.0, "tolerance": 30,
        "defaults": {"operator": ">", "threshold": 90.0, "tolerance": 30},
    }


def test_patch_sets_custom_values_and_normalises_defaults(client, device, manager_headers):
    cpu = _metric(device, "cpu")
    response = client.patch(settings_url(device, cpu), headers=manager_headers,
                            json={"operator": "<", "threshold": 15, "tolerance": 30, "is_active": False})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["is_active"], body["operator"], body["threshold"], body["tolerance"]) == (False, "<", 15.0, 30)
    assert stored(cpu) == (False, "<", 15.0, None)  # 30 is the default: stored as "no custom value"
    response = client.patch(settings_url(device, cpu), headers=manager_headers, json={"threshold": None})
    assert response.get_json()["threshold"] == 90.0
    assert stored(cpu) == (False, "<", None, None)


@pytest.mark.parametrize("body, field", [
    ({"threshold": 50, "tolerance": 10081}, "tolerance"),
    ({"threshold": 50, "tolerance": -1}, "tolerance"),
    ({"threshold": 50, "operator": "="}, "operator"),
    ({"tolerance": 5, "threshold": "high"}, "threshold"),
    ({"tolerance": 5, "is_active": None}, "is_active"),
    ({"tolerance": 5, "tolerance_x": 1, "threshold": "NaN"}, "threshold"),
])
def test_one_invalid_field_writes_nothing(client, device, manager_headers, body, field):
    disk = _metric(device, "disk")
    response = client.patch(settings_url(device, disk), headers=manager_headers, json=body)
    assert response.status_code == 400
    assert list(response.get_json()) == [field]
    assert stored(disk) == (True, None, None, None)


def test_tolerance_bounds_are_inclusive(client, device, manager_headers):
    memory = _metric(device, "memory")
    assert client.patch(settings_url(device, memory), headers=manager_headers,
                        json={"tolerance": 10080}).get_json()["tolerance"] == 10080
    assert client.patch(settings_url(device, memory), headers=manager_headers,
                        json={"tolerance": 0}).get_json()["tolerance"] == 0


def test_metrics_without_alerts_and_foreign_metrics_are_404(client, make, org, device, manager_headers):
    traffic = _metric(device, "traffic")
    response = client.get(settings_url(device, traffic), headers=manager_headers)
    assert response.status_code == 404
    assert response.get_json() == {"detail": "No AlertSettings matches the given query."}
    other = make.device(org)
    assert client.get(settings_url(other, _metric(device, "cpu")), headers=manager_headers).status_code == 404


def test_alert_settings_tenancy(client, make, device):
    cpu = _metric(device, "cpu")
    url = settings_url(device, cpu)
    assert client.get(url).status_code == 401
    assert client.get(url).get_json() == {"detail": NOT_AUTHENTICATED}
    member = make.headers(make.user(member_of=[make.org()]))
    response = client.patch(url, headers=member, json={"tolerance": 99999})
    assert response.status_code == 403 and response.get_json() == {"detail": NOT_MANAGER}
    stranger = make.headers(make.user(manages=[make.org()]))
    assert client.get(url, headers=stranger).status_code == 404
    assert client.patch(url, headers=stranger, json={"tolerance": 99}).status_code == 404
    assert stored(cpu) == (True, None, None, None)


# --- checks -------------------------------------------------------------------------------

def checks_url(device, check=None):
    base = f"/api/v1/monitoring/device/{device.id}/check/"
    return base if check is None else f"{base}{check}/"


def test_create_list_read_change_delete(client, device, manager_headers):
    response = client.post(checks_url(device), headers=manager_headers,
                           json={"check_type": "ping", "params": {"count": 3, "timeout": 500}})
    assert response.status_code == 201
    created = response.get_json()
    assert created == {"id": created["id"], "name": "Ping", "check_type": "ping", "is_active": True,
                       "params": {"count": 3, "timeout": 500}, "result": {
                           "status": "skipped", "reason": "The device has no management IP: it is not pinged.",
                           "time": None, "values": None}}
    client.post(checks_url(device), headers=manager_headers, json={"check_type": "wifi_clients", "name": "Clients"})
    listing = client.get(checks_url(device), headers=manager_headers).get_json()
    assert listing["count"] == 2 and [c["name"] for c in listing["results"]] == ["Clients", "Ping"]
    assert client.get(checks_url(device, created["id"]), headers=manager_headers).get_json() == created
    changed = client.patch(checks_url(device, created["id"]), headers=manager_headers,
                           json={"name": "Reachability", "params": {"count": 4}}).get_json()
    assert (changed["name"], changed["params"], changed["check_type"]) == ("Reachability", {"count": 4}, "ping")
    assert client.delete(checks_url(device, created["id"]), headers=manager_headers).status_code == 204
    assert client.get(checks_url(device, created["id"]), headers=manager_headers).status_code == 404


@pytest.mark.parametrize("params, message", [
    ({"count": 1}, 'Invalid param in "count": 1 is less than the minimum of 2'),
    ({"timeout": 2000}, 'Invalid param in "timeout": 2000 is greater than the maximum of 1500'),
    ({"interval": "fast"}, "Invalid param in \"interval\": 'fast' is not of type 'integer'"),
    ({"size": 64}, "Invalid param: Additional properties are not allowed ('size' was unexpected)"),
])
def test_invalid_ping_params_are_400_on_params(client, device, manager_headers, params, message):
    response = client.post(checks_url(device), headers=manager_headers, json={"check_type": "ping", "params": params})
    assert response.status_code == 400
    assert response.get_json() == {"params": [message]}
    assert db.session.scalar(select(Check.id).where(Check.device_id == device.id)) is None


def test_other_check_input_errors(client, device, manager_headers):
    assert client.post(checks_url(device), headers=manager_headers, json={}).get_json() == {
        "check_type": ["This field is required."]}
    response = client.post(checks_url(device), headers=manager_headers, json={"check_type": "iperf3"})
    assert response.status_code == 400 and list(response.get_json()) == ["check_type"]
    response = client.post(checks_url(device), headers=manager_headers,
                           json={"check_type": "data_collected", "params": {"interval": 5}})
    assert response.status_code == 400 and list(response.get_json()) == ["params"]
    ping = client.post(checks_url(device), headers=manager_headers, json={"check_type": "ping"}).get_json()
    again = client.post(checks_url(device), headers=manager_headers, json={"check_type": "ping", "name": "Other"})
    assert again.status_code == 400 and again.get_json() == {
        "check_type": ["This device already has a check of this type."]}
    clash = client.post(checks_url(device), headers=manager_headers,
                        json={"check_type": "wifi_clients", "name": "Ping"})
    assert clash.get_json() == {"name": ["This device already has a check with this name."]}
    retype = client.patch(checks_url(device, ping["id"]), headers=manager_headers, json={"check_type": "wifi_clients"})
    assert retype.status_code == 400 and list(retype.get_json()) == ["check_type"]
    bad = client.patch(checks_url(device, ping["id"]), headers=manager_headers, json={"params": {"count": 50}})
    assert bad.status_code == 400
    assert client.get(checks_url(device, ping["id"]), headers=manager_headers).get_json()["params"] == {}


def test_checks_tenancy(client, make, org, device, manager_headers):
    ping = client.post(checks_url(device), headers=manager_headers, json={"check_type": "ping"}).get_json()
    other_device = make.device(org)
    assert client.get(checks_url(other_device, ping["id"]), headers=manager_headers).status_code == 404
    assert client.get(checks_url(device)).status_code == 401
    member = make.headers(make.user(member_of=[org]))
    assert client.get(checks_url(device), headers=member).status_code == 403
    stranger = make.headers(make.user(manages=[make.org()]))
    for method, url in (("get", checks_url(device)), ("post", checks_url(device)),
                        ("get", checks_url(device, ping["id"])), ("patch", checks_url(device, ping["id"])),
                        ("delete", checks_url(device, ping["id"]))):
        response = getattr(client, method)(url, headers=stranger, json={"check_type": "wifi_clients"})
        assert response.status_code == 404, (method, url)
        assert response.get_json() == {"detail": "No Device matches the given query."}
    assert client.get(checks_url(device, ping["id"]), headers=manager_headers).status_code == 200


# --- check results ----------------------------------------------------------------------

NOT_RUN = {"status": "pending", "reason": "The check has not run yet.", "time": None, "values": None}


def results(client, device, headers) -> dict:
    listing = client.get(checks_url(device), headers=headers).get_json()
    return {item["check_type"]: item["result"] for item in listing["results"]}


def iso(moment) -> str:
    return UTCDateTime()._serialize(moment, None, None)


def test_results_show_when_each_check_last_measured_and_what(client, make, org, manager_headers):
    device = make.device(org, management_ip="127.0.0.1")
    wifi = sample(wireless("wlan0", [client_entry("aa:00:00:00:00:09")]), resources=RESOURCES)
    assert post(client, device, wifi).status_code == 200
    for check_type in ("ping", "data_collected", "wifi_clients"):
        add_check(device, check_type)
    assert results(client, device, manager_headers) == {
        "ping": NOT_RUN, "data_collected": NOT_RUN, "wifi_clients": NOT_RUN}

    run_checks()

    [ping] = points("ping_points", device)
    [collected] = points("data_collected_points", device)
    [clients] = points("wifi_client_count_points", device)
    assert ping["reachable"] == 1
    assert results(client, device, manager_headers) == {
        "ping": {"status": "measured", "reason": None, "time": iso(ping["time"]), "values": {
            "reachable": 1, "loss": 0.0, "rtt_min": ping["rtt_min"], "rtt_max": ping["rtt_max"],
            "rtt_avg": ping["rtt_avg"]}},
        "data_collected": {"status": "measured", "reason": None, "time": iso(collected["time"]),
                           "values": {"data_collected": 1}},
        "wifi_clients": {"status": "measured", "reason": None, "time": iso(clients["time"]),
                         "values": {"clients_max": 1, "clients_min": 1}},
    }
    ping_id = db.session.scalar(select(Check.id).where(Check.device_id == device.id, Check.check_type == "ping"))
    detail = client.get(checks_url(device, ping_id), headers=manager_headers).get_json()
    assert detail["result"]["values"]["reachable"] == 1


def test_a_ping_check_without_address_says_why_and_keeps_its_last_measurement(client, make, org, manager_headers):
    device = make.device(org, management_ip="127.0.0.1")
    add_check(device, "ping")
    add_check(device, "data_collected")
    run_checks()
    [ping] = points("ping_points", device)
    device.management_ip = None
    device.last_ip = "127.0.0.1"  # not pinged: MANAGEMENT_IP_ONLY is on by default
    db.session.commit()

    run_checks()

    assert points("ping_points", device) == [ping]
    shown = results(client, device, manager_headers)
    assert shown["ping"] == {"status": "skipped", "reason": "The device has no management IP: it is not pinged.",
                             "time": iso(ping["time"]), "values": {
                                 "reachable": 1, "loss": 0.0, "rtt_min": ping["rtt_min"],
                                 "rtt_max": ping["rtt_max"], "rtt_avg": ping["rtt_avg"]}}
    assert shown["data_collected"]["status"] == "measured"  # silence is still noticed


def test_without_management_ip_only_a_device_with_neither_address_is_skipped(client, app, make, org,
                                                                             manager_headers, monkeypatch):
    monkeypatch.setitem(app.config, "MANAGEMENT_IP_ONLY", False)
    device = make.device(org)
    add_check(device, "ping")
    assert results(client, device, manager_headers)["ping"] == {
        "status": "skipped", "reason": "The device has neither a management IP nor a last IP: it is not pinged.",
        "time": None, "values": None}
    device.last_ip = "127.0.0.1"
    db.session.commit()
    assert results(client, device, manager_headers)["ping"] == NOT_RUN


def test_a_ping_check_outside_the_allowed_networks_says_why(client, app, make, org, manager_headers, monkeypatch):
    monkeypatch.setitem(app.config, "PING_ALLOWED_NETWORKS", (ip_network("10.0.0.0/8"),))
    device = make.device(org, management_ip="192.168.1.1")
    add_check(device, "ping")
    assert results(client, device, manager_headers)["ping"] == {
        "status": "skipped", "reason": "The device's address is outside the networks that may be pinged: "
                                       "it is not pinged.",
        "time": None, "values": None}
    device.management_ip = "10.1.2.3"
    db.session.commit()
    assert results(client, device, manager_headers)["ping"] == NOT_RUN


def test_results_of_checks_that_do_not_run(client, make, org, manager_headers, admin_headers):
    disabled_check = make.device(org, management_ip="127.0.0.1")
    add_check(disabled_check, "ping", is_active=False)
    deactivated = make.device(org, management_ip="127.0.0.1", is_deactivated=True)
    add_check(deactivated, "ping")
    unknown = make.device(org)
    add_check(unknown, "wifi_clients")
    critical = make.device(org)
    add_check(critical, "wifi_clients")
    set_status(critical, "critical")
    disabled_org = make.org(is_active=False)
    elsewhere = make.device(disabled_org, management_ip="127.0.0.1")
    add_check(elsewhere, "data_collected")

    def reason(device, check_type, headers=manager_headers):
        result = results(client, device, headers)[check_type]
        assert result["status"] == "skipped"
        return result["reason"]

    assert reason(disabled_check, "ping") == "The check is disabled."
    assert reason(deactivated, "ping") == "The device is deactivated: its checks do not run."
    assert reason(unknown, "wifi_clients") == "WiFi clients are not counted while the device's status is unknown."
    assert reason(critical, "wifi_clients") == "WiFi clients are not counted while the device's status is critical."
    assert reason(elsewhere, "data_collected", admin_headers) == (
        "The device's organization is disabled: its checks do not run.")
    run_checks()  # and indeed none of them ran
    for device in (disabled_check, deactivated):
        assert points("ping_points", device) == []
    assert points("wifi_client_count_points", unknown) == points("wifi_client_count_points", critical) == []
    assert points("data_collected_points", elsewhere) == []


def test_snoozed_wifi_clients_checks_say_so(client, app, make, org, manager_headers, monkeypatch):
    monkeypatch.setitem(app.config, "WIFI_CLIENTS_CHECK_SNOOZE_SCHEDULE", [["00:00", "23:59"]])
    device = make.device(org)
    add_check(device, "wifi_clients")
    set_status(device, "ok")
    assert results(client, device, manager_headers)["wifi_clients"] == {
        "status": "skipped", "reason": "The WiFi clients checks are snoozed at this time.", "time": None,
        "values": None}


def test_the_result_is_documented_read_only(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    check = spec["components"]["schemas"]["Check"]["properties"]["result"]
    assert check["readOnly"] is True
    result = spec["components"]["schemas"]["CheckResult"]["properties"]
    assert result["status"]["enum"] == ["measured", "skipped", "pending"]
    assert set(result) == {"status", "reason", "time", "values"}
