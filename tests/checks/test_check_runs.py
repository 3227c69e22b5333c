"""Active checks against real addresses (loopback and a test network namespace) and the
health they imply (docs/metrics.md §5.5, §5.6): results, critical vs problem, notifications,
WiFi sessions, recovery detection."""
from __future__ import annotations

import subprocess
from ipaddress import ip_network

import pytest
from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import Chart, Check, Device, WifiSession, utcnow
from monitoring.services.checks import fping, runs
from monitoring.timeseries import sample_store
from tests.checks.support import (
    add_check,
    flags,
    metric,
    notifications,
    points,
    probe_namespace,
    received,
    run_checks,
    set_status,
    set_tolerance,
    status_of,
)
from tests.ingest.test_device_samples import RESOURCES, client_entry, post, sample, wireless


@pytest.fixture(scope="module")
def probe_network():
    with probe_namespace() as network:
        yield network


@pytest.fixture
def fping_runs(monkeypatch):
    """How many fping processes a run starts (they still run for real)."""
    calls = []
    real_run = subprocess.run

    def counting_run(args, *a, **kw):
        if args and args[0] == "fping":
            calls.append(args)
        return real_run(args, *a, **kw)

    monkeypatch.setattr(fping.subprocess, "run", counting_run)
    return calls


def test_fping_output_parsing():
    output = ("10.0.0.1 : xmt/rcv/%loss = 5/5/0%, min/avg/max = 0.04/0.08/0.15\n"
              "10.0.0.2 : xmt/rcv/%loss = 5/0/100%\n"
              "::1       : xmt/rcv/%loss = 5/3/40%, min/avg/max = 1.5/2.25/3\n"
              "some warning line\n")
    assert fping.parse(output) == {
        "10.0.0.1": fping.PingResult(1, 0.0, 0.04, 0.08, 0.15),
        "10.0.0.2": fping.PingResult(0, 100.0),
        "::1": fping.PingResult(1, 40.0, 1.5, 2.25, 3.0),
    }
    assert fping.command(["10.0.0.1"], count=5, interval=25, size=56, timeout=800) == [
        "fping", "-e", "-c", "5", "-p", "25", "-b", "56", "-t", "800", "-q", "10.0.0.1"]


def test_unrecognised_fping_output_is_an_error():
    with pytest.raises(fping.FpingError, match="Unrecognized fping output"):
        fping.ping(["127.0.0.1"], count=2, interval=10, size=56, timeout=50, executable="true")


def test_ping_results_of_many_devices_from_one_fping_run(make, org, probe_network, fping_runs):
    loopback = make.device(org, management_ip="127.0.0.1")
    answering = make.device(org, management_ip=probe_network.reachable)
    silent = make.device(org, management_ip=probe_network.unreachable)
    for device in (loopback, answering, silent):
        add_check(device, "ping")

    summary = run_checks()

    assert len(fping_runs) == 1 and sorted(fping_runs[0][-3:]) == sorted(
        ["127.0.0.1", probe_network.reachable, probe_network.unreachable])
    assert summary.checks == 3 and summary.points == 3
    for device in (loopback, answering):
        [point] = points("ping_points", device)
        assert point["reachable"] == 1 and point["loss"] == 0
        assert 0 < point["rtt_min"] <= point["rtt_avg"] <= point["rtt_max"]
        assert flags(device, "ping") == (True, True)
        assert status_of(device) == "ok"
    [point] = points("ping_points", silent)
    assert (point["reachable"], point["loss"], point["rtt_min"], point["rtt_avg"]) == (0, 100, None, None)
    assert flags(silent, "ping") == (False, True)  # unhealthy at once, tolerant for 30 minutes
    assert status_of(silent) == "problem"  # data collected is not known to fail
    ping = metric(loopback, "ping")
    assert ping.name == "Ping" and ping.alert_settings is not None
    charts = db.session.scalars(select(Chart.configuration).where(Chart.metric_id == ping.id)).all()
    assert sorted(charts) == ["packet_loss", "rtt", "uptime"]
    assert notifications() == []


@pytest.mark.parametrize("status", ["unknown", "ok", "problem", "critical"])
def test_a_device_without_management_ip_is_not_pinged(make, org, fping_runs, status):
    make.user(superuser=True)
    device = make.device(org, last_ip="127.0.0.1")  # the last IP is not pinged by default
    add_check(device, "ping")
    set_status(device, status)

    summary = run_checks()

    assert fping_runs == []
    assert (summary.checks, summary.skipped, summary.points, summary.changes) == (1, 1, 0, 0)
    assert points("ping_points", device) == [] and metric(device, "ping") is None
    assert status_of(device) == status
    assert notifications() == []


def test_a_device_that_loses_its_address_keeps_its_last_ping_verdict(make, org):
    device = make.device(org, management_ip="127.0.0.1")
    add_check(device, "ping")
    run_checks()
    assert flags(device, "ping") == (True, True) and status_of(device) == "ok"
    device.management_ip = None
    db.session.commit()
    set_tolerance(device, "ping", 0)

    assert run_checks().skipped == 1
    assert len(points("ping_points", device)) == 1
    assert flags(device, "ping") == (True, True) and status_of(device) == "ok"


def test_without_management_ip_only_the_last_ip_is_pinged(make, org, data_app, monkeypatch, fping_runs):
    monkeypatch.setitem(data_app.config, "MANAGEMENT_IP_ONLY", False)
    by_last_ip = make.device(org, last_ip="127.0.0.1")
    no_address = make.device(org)
    for device in (by_last_ip, no_address):
        add_check(device, "ping")
        set_status(device, "ok")

    summary = run_checks()

    assert [run[-1] for run in fping_runs] == ["127.0.0.1"]
    assert (summary.checks, summary.skipped, summary.points) == (2, 1, 1)
    assert [p["reachable"] for p in points("ping_points", by_last_ip)] == [1]
    assert points("ping_points", no_address) == [] and status_of(no_address) == "ok"


def test_addresses_outside_the_allowed_networks_are_not_pinged(make, org, data_app, monkeypatch, probe_network,
                                                               fping_runs):
    """A manager chooses the management IP: pinging any address would let them map which
    internal hosts answer. Only PING_ALLOWED_NETWORKS are pinged; other devices are skipped
    as a device without address is (no point, health untouched)."""
    monkeypatch.setitem(data_app.config, "PING_ALLOWED_NETWORKS", (ip_network(f"{probe_network.reachable}/29",
                                                                              strict=False),))
    inside = make.device(org, management_ip=probe_network.reachable)
    loopback = make.device(org, management_ip="127.0.0.1")
    mapped = make.device(org, management_ip="::ffff:127.0.0.1")
    for device in (inside, loopback, mapped):
        add_check(device, "ping")
        set_status(device, "ok")

    summary = run_checks()

    assert [run[-1] for run in fping_runs] == [probe_network.reachable]
    assert (summary.checks, summary.skipped, summary.points) == (3, 2, 1)
    assert [p["reachable"] for p in points("ping_points", inside)] == [1]
    for device in (loopback, mapped):
        assert points("ping_points", device) == [] and metric(device, "ping") is None
        assert status_of(device) == "ok"


def test_an_ipv4_mapped_address_is_judged_as_its_ipv4_address(data_app, monkeypatch, app_context):
    monkeypatch.setitem(data_app.config, "PING_ALLOWED_NETWORKS", (ip_network("10.0.0.0/8"), ip_network("fd00::/8")))
    assert runs.may_ping("10.1.2.3") and runs.may_ping("::ffff:10.1.2.3")
    assert runs.may_ping("fd12::1")
    assert not runs.may_ping("192.168.1.1") and not runs.may_ping("::ffff:192.168.1.1")
    assert not runs.may_ping("fe80::1")
    monkeypatch.setitem(data_app.config, "PING_ALLOWED_NETWORKS", ())
    assert runs.may_ping("192.168.1.1")  # none set: any address, as before


def test_a_silent_device_without_address_is_noticed_by_data_collected(make, org):
    """Devices behind NAT have no address to ping: missing data is what tells they are gone."""
    make.user(superuser=True)
    device = make.device(org)
    add_check(device, "ping")
    add_check(device, "data_collected")
    received(device, minutes_ago=1)
    run_checks()
    assert flags(device, "data_collected") == (True, True) and status_of(device) == "ok"

    received(device, minutes_ago=61)  # it stopped sending an hour ago
    set_tolerance(device, "data_collected", 0)
    summary = run_checks()

    assert (summary.skipped, summary.points) == (1, 1)
    assert flags(device, "data_collected") == (False, False)
    assert status_of(device) == "problem"  # ping cannot say it is down: not critical
    assert [n.type for n in notifications(device)] == ["data_collected_problem"]
    assert points("ping_points", device) == [] and metric(device, "ping") is None


def test_deactivated_devices_and_disabled_organizations_are_not_checked(make, org):
    deactivated = make.device(org, management_ip="127.0.0.1", is_deactivated=True)
    disabled = make.org(is_active=False)
    elsewhere = make.device(disabled, management_ip="127.0.0.1")
    inactive_check = make.device(org, management_ip="127.0.0.1")
    add_check(deactivated, "ping")
    add_check(elsewhere, "ping")
    add_check(inactive_check, "ping", is_active=False)
    assert run_checks().checks == 0
    assert all(points("ping_points", d) == [] for d in (deactivated, elsewhere, inactive_check))


def test_data_collected_follows_the_latest_sample(make, org, app):
    recent, stale, never = make.device(org), make.device(org), make.device(org)
    received(recent, minutes_ago=10)
    received(stale, minutes_ago=61)  # DATA_COLLECTED_CHECK_INTERVAL is 60 minutes
    for device in (recent, stale, never):
        add_check(device, "data_collected")
    run_checks()
    assert [p["data_collected"] for p in points("data_collected_points", recent)] == [1]
    assert [p["data_collected"] for p in points("data_collected_points", stale)] == [0]
    assert [p["data_collected"] for p in points("data_collected_points", never)] == [0]
    assert flags(recent, "data_collected") == (True, True)
    assert flags(stale, "data_collected") == (False, True)
    assert metric(stale, "data_collected").name == "Monitoring Data Collected"
    assert status_of(recent) == "ok" and status_of(stale) == "problem"


def unreachable_pair(make, org, address: str):
    """Two devices whose pings are lost, with ping and data-collected checks: one silent,
    one still sending data."""
    offline = make.device(org, management_ip=address)
    still_sending = make.device(org, management_ip=address)
    received(still_sending, minutes_ago=1)
    for device in (offline, still_sending):
        add_check(device, "ping")
        add_check(device, "data_collected")
    return offline, still_sending


def test_critical_only_when_every_critical_metric_fails(make, org, probe_network):
    offline, still_sending = unreachable_pair(make, org, probe_network.unreachable)
    run_checks()
    assert status_of(offline) == "critical"
    assert status_of(still_sending) == "problem"
    db.session.expire_all()
    assert db.session.get(Device, offline.id).management_ip == probe_network.unreachable  # kept by default


def test_a_device_turning_critical_loses_its_management_ip_when_so_configured(make, org, probe_network,
                                                                              data_app, monkeypatch):
    monkeypatch.setitem(data_app.config, "AUTO_CLEAR_MANAGEMENT_IP", True)
    offline, still_sending = unreachable_pair(make, org, probe_network.unreachable)
    run_checks()
    assert status_of(offline) == "critical" and status_of(still_sending) == "problem"
    assert db.session.get(Device, offline.id).management_ip is None
    assert db.session.get(Device, still_sending.id).management_ip == probe_network.unreachable


def test_without_automatic_data_collected_checks_ping_alone_is_critical(make, org, probe_network, data_app,
                                                                       monkeypatch):
    """As the reference defines the critical metrics: data collected counts only when devices
    get that check automatically."""
    monkeypatch.setitem(data_app.config, "AUTO_DATA_COLLECTED_CHECK", False)
    offline = make.device(org, management_ip=probe_network.unreachable)
    add_check(offline, "ping")
    run_checks()
    assert status_of(offline) == "critical"


def test_ping_problem_and_recovery_notify_managers_and_superusers(make, org, probe_network):
    manager, superuser = make.user(manages=[org]), make.user(superuser=True)
    make.user(manages=[make.org()])
    make.user(member_of=[org])
    device = make.device(org, management_ip="127.0.0.1")
    add_check(device, "ping")
    run_checks()
    set_tolerance(device, "ping", 0)
    device.management_ip = probe_network.unreachable
    db.session.commit()
    run_checks()
    problem = notifications(device)
    assert {(n.recipient_id, n.type, n.level) for n in problem} == {
        (manager.id, "ping_problem", "warning"), (superuser.id, "ping_problem", "warning")}
    assert problem[0].message == f"The device [{device.name}](/api/v1/monitoring/device/{device.id}/) is not reachable."
    assert problem[0].organization_id == org.id and problem[0].metric_id == metric(device, "ping").id
    device = db.session.get(Device, device.id)
    device.management_ip = probe_network.reachable
    db.session.commit()
    run_checks()
    recovery = [n for n in notifications(device) if n.type == "ping_recovery"]
    assert len(recovery) == 2 and recovery[0].level == "info"
    assert recovery[0].message.endswith(") is reachable again.")
    assert status_of(device) == "ok"


def test_disabled_alerts_change_health_but_notify_nobody(make, org, probe_network):
    make.user(superuser=True)
    device = make.device(org, management_ip=probe_network.unreachable)
    add_check(device, "ping")
    run_checks()
    ping = metric(device, "ping")
    ping.alert_settings.is_active = False
    ping.alert_settings.custom_tolerance = 0
    db.session.commit()
    run_checks()
    assert flags(device, "ping") == (False, False)
    assert notifications() == []


def test_missing_data_is_not_notified_while_critical(make, org, probe_network):
    make.user(superuser=True)
    device = make.device(org, management_ip=probe_network.unreachable)
    add_check(device, "ping")
    add_check(device, "data_collected")
    run_checks()
    assert status_of(device) == "critical"
    set_tolerance(device, "data_collected", 0)
    ping = metric(device, "ping")
    ping.alert_settings.custom_tolerance = 0
    db.session.commit()
    run_checks()
    assert [n.type for n in notifications(device)] == ["ping_problem"]  # data collected: silent
    assert flags(device, "data_collected") == (False, False)


def test_wifi_sessions_close_when_ping_goes_down(make, org, client, probe_network):
    device = make.device(org, management_ip="127.0.0.1")
    add_check(device, "ping")
    document = sample(wireless("wlan0", [client_entry("aa:00:00:00:00:01")]), resources=RESOURCES)
    assert post(client, device, document).status_code == 200
    run_checks()  # healthy first: the tolerant flag is true
    set_tolerance(device, "ping", 0)
    device = db.session.get(Device, device.id)
    device.management_ip = probe_network.unreachable
    db.session.commit()
    open_before = db.session.scalars(select(WifiSession).where(WifiSession.stop_time.is_(None))).all()
    assert len(open_before) == 1
    run_checks()
    db.session.expire_all()
    assert flags(device, "ping") == (False, False)
    assert db.session.scalars(select(WifiSession).where(WifiSession.stop_time.is_(None))).all() == []


def test_first_unhealthy_assessment_leaves_sessions_open(make, org, client, probe_network):
    device = make.device(org, management_ip=probe_network.unreachable)
    add_check(device, "ping")
    assert post(client, device, sample(wireless("wlan0", [client_entry("aa:00:00:00:00:02")]))).status_code == 200
    run_checks()
    ping = metric(device, "ping")
    ping.is_healthy = ping.is_healthy_tolerant = None  # never assessed
    ping.alert_settings.custom_tolerance = 0
    db.session.commit()
    run_checks()  # null -> unhealthy notifies, but is no "going down"
    assert flags(device, "ping") == (False, False)
    db.session.expire_all()
    assert len(db.session.scalars(select(WifiSession).where(WifiSession.stop_time.is_(None))).all()) == 1


def test_wifi_clients_counts_and_skips_unknown_devices(make, org, client):
    device = make.device(org)
    unknown = make.device(org)
    clients = [client_entry("aa:00:00:00:00:03"), client_entry("aa:00:00:00:00:04")]
    assert post(client, device, sample(wireless("wlan0", clients), resources=RESOURCES)).status_code == 200
    assert status_of(device) == "ok"
    add_check(device, "wifi_clients")
    add_check(unknown, "wifi_clients")
    run_checks()
    [point] = points("wifi_client_count_points", device)
    assert (point["clients_max"], point["clients_min"]) == (2, 2)
    assert flags(device, "wifi_clients_max") == (True, True)  # 2 is not over 50
    assert flags(device, "wifi_clients_min") == (True, True)  # 2 is not under 1
    assert metric(device, "wifi_clients_max").name == "WiFi Clients (Maximum)"
    assert points("wifi_client_count_points", unknown) == []


def test_no_wifi_clients_is_a_minimum_problem(make, org, client):
    make.user(superuser=True)
    device = make.device(org)
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200
    add_check(device, "wifi_clients")
    run_checks()
    assert flags(device, "wifi_clients_min") == (False, False)  # tolerance 0
    [note] = notifications(device)
    assert note.type == "wifi_clients_min_problem"
    assert note.message == (f"WiFi Clients (Minimum) of device [{device.name}]"
                            f"(/api/v1/monitoring/device/{device.id}/) is below the expected threshold.")
    assert status_of(device) == "problem"


# --- recovery detection -----------------------------------------------------------------

def _make_critical(make, org, probe_network):
    device = make.device(org, management_ip=probe_network.unreachable)
    add_check(device, "ping")
    add_check(device, "data_collected")
    run_checks()
    assert status_of(device) == "critical"
    return device


def _request(device):
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sample_store.REQUEST_CRITICAL_CHECKS, (device.id, utcnow()))  # as a sample asks
        connection.commit()
    finally:
        connection.close()


def test_a_critical_device_that_sends_data_recovers_to_problem(make, org, client, probe_network):
    device = _make_critical(make, org, probe_network)
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200
    assert status_of(device) == "critical"  # the sample alone cannot tell
    _request(device)
    _request(device)  # one request per device, however many samples
    result = runs.run_requested_checks()
    assert result.startswith("1 requests, 1 critical devices")
    assert flags(device, "data_collected") == (True, True)
    assert flags(device, "ping") == (False, True)
    assert status_of(device) == "problem"  # still not answering pings, but talking
    assert runs.run_requested_checks() is None  # nothing to do


def test_a_critical_device_without_critical_checks_becomes_ok(make, org, client, probe_network):
    device = _make_critical(make, org, probe_network)
    for check in db.session.scalars(select(Check).where(Check.device_id == device.id)):
        check.is_active = False
    db.session.commit()
    set_status(device, "critical")
    _request(device)
    runs.run_requested_checks()
    assert status_of(device) == "ok"


def test_requests_of_devices_no_longer_critical_change_nothing(make, org):
    device = make.device(org, management_ip="127.0.0.1")
    add_check(device, "ping")
    set_status(device, "problem")
    _request(device)
    assert runs.run_requested_checks().startswith("1 requests, 0 critical devices")
    assert status_of(device) == "problem"
    assert points("ping_points", device) == []
