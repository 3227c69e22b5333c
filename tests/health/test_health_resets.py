"""Status resets (docs/metrics.md §5.5) and the automatic checks (§5.6), through the API
calls that cause them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import Check, Device, DeviceMonitoring, Metric
from monitoring.services.checks import checks
from tests.checks.support import add_check, flags, run_checks, set_status, status_of
from tests.ingest.test_device_samples import RESOURCES, post, sample


@pytest.fixture
def healthy(make, org, client):
    """A device with assessed metrics (cpu, memory, disk, ping) in status ok."""
    device = make.device(org, management_ip="127.0.0.1")
    add_check(device, "ping")
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200
    run_checks()
    assert status_of(device) == "ok" and flags(device, "ping") == (True, True)
    return device


def _all_flags(device):
    db.session.expire_all()
    return {m.configuration: (m.is_healthy, m.is_healthy_tolerant)
            for m in db.session.scalars(select(Metric).where(Metric.device_id == device.id))}


def test_disabling_an_organization_resets_its_devices_only(make, org, client, admin_headers, healthy):
    other_org = make.org()
    other = make.device(other_org, management_ip="127.0.0.2")
    add_check(other, "ping")
    run_checks()
    response = client.patch(f"/api/v1/users/organization/{org.id}/", json={"is_active": False}, headers=admin_headers)
    assert response.status_code == 200
    assert status_of(healthy) == "unknown"
    assert set(_all_flags(healthy).values()) == {(None, None)}
    assert db.session.get(Device, healthy.id).management_ip is None
    assert status_of(other) == "ok" and flags(other, "ping") == (True, True)
    assert db.session.get(Device, other.id).management_ip == "127.0.0.2"


def test_deactivation_and_reactivation(client, admin_headers, healthy):
    base = f"/api/v1/controller/device/{healthy.id}"
    assert client.post(f"{base}/deactivate/", headers=admin_headers).status_code == 200
    assert status_of(healthy) == "deactivated"
    assert run_checks().checks == 0  # skipped while deactivated
    assert client.post(f"{base}/activate/", headers=admin_headers).status_code == 200
    assert status_of(healthy) == "unknown"
    assert set(_all_flags(healthy).values()) == {(None, None)}
    run_checks()  # the next healthy ping makes it ok again
    assert status_of(healthy) == "ok"


def _check(device, check_type):
    return db.session.scalar(select(Check).where(Check.device_id == device.id, Check.check_type == check_type))


def test_disabling_a_critical_check_resets_the_device(client, admin_headers, healthy):
    ping = _check(healthy, "ping")
    url = f"/api/v1/monitoring/device/{healthy.id}/check/{ping.id}/"
    assert client.patch(url, json={"name": "Ping"}, headers=admin_headers).status_code == 200
    assert status_of(healthy) == "ok"  # saving an active critical check changes nothing
    assert client.patch(url, json={"is_active": False}, headers=admin_headers).status_code == 200
    assert status_of(healthy) == "unknown"
    assert set(_all_flags(healthy).values()) == {(None, None)}


def test_deleting_a_critical_check_resets_the_device(client, admin_headers, healthy):
    ping = _check(healthy, "ping")
    response = client.delete(f"/api/v1/monitoring/device/{healthy.id}/check/{ping.id}/", headers=admin_headers)
    assert response.status_code == 204
    assert status_of(healthy) == "unknown"


def test_non_critical_checks_never_reset(client, admin_headers, healthy):
    wifi = add_check(healthy, "wifi_clients")
    url = f"/api/v1/monitoring/device/{healthy.id}/check/{wifi.id}/"
    assert client.patch(url, json={"is_active": False}, headers=admin_headers).status_code == 200
    assert client.delete(url, headers=admin_headers).status_code == 204
    assert status_of(healthy) == "ok"
    assert flags(healthy, "ping") == (True, True)


def test_a_deactivated_device_keeps_its_status_when_a_check_goes(client, admin_headers, healthy):
    set_status(healthy, "deactivated")
    ping = _check(healthy, "ping")
    client.delete(f"/api/v1/monitoring/device/{healthy.id}/check/{ping.id}/", headers=admin_headers)
    assert status_of(healthy) == "deactivated"


# --- automatic checks -------------------------------------------------------------------

def test_devices_created_through_the_api_get_ping_and_data_collected(client, org, admin_headers):
    response = client.post("/api/v1/controller/device/", headers=admin_headers, json={
        "name": "ap-1", "mac_address": "00:11:22:aa:bb:01", "organization": str(org.id)})
    assert response.status_code == 201
    listing = client.get(f"/api/v1/monitoring/device/{response.get_json()['id']}/check/", headers=admin_headers)
    items = listing.get_json()["results"]
    assert [(c["name"], c["check_type"], c["is_active"], c["params"]) for c in items] == [
        ("Monitoring Data Collected", "data_collected", True, {}), ("Ping", "ping", True, {})]


def test_the_worker_gives_older_devices_their_checks_once(make, org, data_app):
    older = make.device(org)
    assert checks.ensure_automatic(db.session) == 2
    assert sorted(c.check_type for c in db.session.scalars(select(Check).where(Check.device_id == older.id))) == [
        "data_collected", "ping"]
    assert db.session.get(DeviceMonitoring, older.id).checks_created is True
    db.session.delete(_check(older, "ping"))
    db.session.commit()
    assert checks.ensure_automatic(db.session) == 0  # a deleted check stays deleted
    assert _check(older, "ping") is None


def test_automatic_checks_follow_the_settings(make, org, data_app, monkeypatch):
    monkeypatch.setitem(data_app.config, "AUTO_PING", False)
    monkeypatch.setitem(data_app.config, "AUTO_WIFI_CLIENTS_CHECK", True)
    device = make.device(org)
    checks.ensure_automatic(db.session)
    assert sorted(c.check_type for c in db.session.scalars(select(Check).where(Check.device_id == device.id))) == [
        "data_collected", "wifi_clients"]
