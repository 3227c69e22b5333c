"""``flask seed-demo``: a demo network written through the ingest path, and the simulation
behind it (monitoring/services/demo/network.py)."""
from __future__ import annotations

import ipaddress
import itertools
import random
import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from monitoring import netjson
from monitoring.extensions import db
from monitoring.models import Device, DeviceData, DeviceMonitoring, Organization, WifiSession
from monitoring.services.demo import network
from monitoring.timeseries.chart_queries import read_watermark
from monitoring.timeseries.chart_tables import rollup_backlog

INTERVAL = timedelta(minutes=5)
BUCKET = timedelta(minutes=10)
DAY = 24 * 3600
# Demo access points 0-3: at a station, a campus and two offices; the third has a full
# disk, the fourth no management address.
DEVICES = 4


def test_seed_demo_builds_a_network_that_looks_real(app, app_context, client):
    """One run (it takes a few seconds), every property of its result."""
    began = datetime.now(UTC)
    result = app.test_cli_runner().invoke(args=["seed-demo", "--devices", str(DEVICES), "--days", "1"])
    assert result.exit_code == 0, result.output
    seeded = {"output": result.output, "began": began, "ended": datetime.now(UTC)}

    check_every_device_samples_every_five_minutes_up_to_a_real_time_sample(seeded)
    check_most_devices_have_a_loopback_management_address()
    check_health_is_set_by_the_real_time_sample_and_varies()
    check_the_rollups_are_refreshed_before_the_command_returns(seeded)
    check_the_dashboard_shows_traffic_and_clients_without_a_gap(seeded, client)
    check_wifi_sessions_are_recorded_from_clients_that_come_go_and_roam()
    check_wifi_sessions_follow_the_sample_times()

    again = app.test_cli_runner().invoke(args=["seed-demo", "--devices", "2", "--days", "1"])
    assert again.exit_code == 0 and "exists already" in again.output
    assert db.session.scalar(select(func.count()).select_from(Device)) == DEVICES


def demo_device_ids() -> list:
    organization = db.session.scalar(select(Organization).where(Organization.slug == "demo"))
    return list(db.session.scalars(select(Device.id).where(Device.organization_id == organization.id)))


def sample_times() -> dict:
    """Each demo device's sample times, oldest first (every sample writes one CPU point)."""
    rows = db.session.execute(text("SELECT device_id, time FROM cpu_points ORDER BY time"))
    times = defaultdict(list)
    for device_id, time in rows:
        times[device_id].append(time)
    return times


def check_every_device_samples_every_five_minutes_up_to_a_real_time_sample(seeded: dict) -> None:
    times = sample_times()
    assert sorted(times) == sorted(demo_device_ids())
    for device_times in times.values():
        *grid, last = device_times
        # each device has its own phase in the interval
        assert timedelta(0) <= grid[0] - (seeded["began"] - timedelta(days=1)) < INTERVAL + timedelta(minutes=1)
        assert {later - earlier for earlier, later in itertools.pairwise(grid)} == {INTERVAL}
        assert timedelta(0) < last - grid[-1] <= INTERVAL  # the real-time one
        assert seeded["began"] <= last <= seeded["ended"]
    assert db.session.scalar(select(func.count()).select_from(DeviceData)) == DEVICES


def check_most_devices_have_a_loopback_management_address() -> None:
    addresses = dict(db.session.execute(select(Device.name, Device.management_ip)).all())
    assert addresses["demo-ap-03"] is None
    reachable = [address for address in addresses.values() if address is not None]
    assert len(reachable) == DEVICES - 1
    assert all(ipaddress.ip_address(address).is_loopback for address in reachable)
    assert len(set(reachable)) == len(reachable)


def check_health_is_set_by_the_real_time_sample_and_varies() -> None:
    statuses = dict(db.session.execute(
        select(Device.name, DeviceMonitoring.status).join(DeviceMonitoring, DeviceMonitoring.device_id == Device.id)
    ).all())
    assert statuses["demo-ap-02"] == "problem"  # its disk is full
    assert set(statuses.values()) == {"ok", "problem"}


def check_the_rollups_are_refreshed_before_the_command_returns(seeded: dict) -> None:
    watermark = read_watermark(db.session)
    assert watermark is not None and watermark >= seeded["began"] - timedelta(minutes=1)
    assert db.session.scalar(select(func.count()).select_from(rollup_backlog)) == 0
    hours = db.session.scalar(text("SELECT count(DISTINCT time) FROM traffic_group_rollups WHERE grain = '1 hour'"))
    assert hours >= 24


def manager_headers(client, output: str) -> dict:
    password = re.search(r"manager login: demo-manager / (\S+)", output).group(1)
    response = client.post("/api/v1/users/token/", json={"username": "demo-manager", "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def check_the_dashboard_shows_traffic_and_clients_without_a_gap(seeded: dict, client) -> None:
    response = client.get("/api/v1/monitoring/dashboard/", query_string={"time": "1d"},
                          headers=manager_headers(client, seeded["output"]))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    charts = {chart["title"]: dict(chart["traces"]) for chart in body["charts"]}
    assert set(charts) == {"General WiFi Clients", "General Traffic"}
    all_times = [time for device_times in sample_times().values() for time in device_times]
    first, last = min(all_times), max(all_times)
    buckets = [datetime.strptime(label, "%Y-%m-%d %H:%M").replace(tzinfo=UTC) for label in body["x"]]
    # Every whole bucket between the first sample and the last one.
    seeded_period = [i for i, bucket in enumerate(buckets) if bucket - first >= BUCKET and bucket + BUCKET <= last]
    assert len(seeded_period) >= 24 * 6 - 3
    for name, values in [("wifi_clients", charts["General WiFi Clients"]["wifi_clients"]),
                         ("download", charts["General Traffic"]["download"]),
                         ("upload", charts["General Traffic"]["upload"])]:
        empty = [body["x"][i] for i in seeded_period if not values[i]]
        assert not empty, f"{name} has empty buckets: {empty}"


def check_wifi_sessions_are_recorded_from_clients_that_come_go_and_roam() -> None:
    sessions = db.session.execute(
        select(WifiSession.device_id, WifiSession.wifi_client_id, WifiSession.interface_name,
               WifiSession.stop_time.is_(None))).all()
    assert len(sessions) > 100
    assert {interface for _, _, interface, _ in sessions} == {"wlan0", "wlan1"}
    assert {is_open for *_, is_open in sessions} == {True, False}
    by_client = defaultdict(list)
    for device_id, mac, interface, _ in sessions:
        by_client[(device_id, mac)].append(interface)
    assert any(max(Counter(interfaces).values()) >= 2 for interfaces in by_client.values())  # came back
    assert any(set(interfaces) == {"wlan0", "wlan1"} for interfaces in by_client.values())  # roamed
    # (the seeded day may be a Sunday, when the offices are all but empty)
    assert {device_id for device_id, _ in by_client} == set(demo_device_ids())
    assert len({mac for _, mac in by_client}) > 50


def check_wifi_sessions_follow_the_sample_times() -> None:
    """Sessions open at the first sample listing a client and close at the first one that
    no longer does: visits of minutes to hours; a roam closes one radio's session when the
    other's opens."""
    times = {device_id: set(device_times) for device_id, device_times in sample_times().items()}
    sessions = db.session.execute(select(WifiSession.device_id, WifiSession.wifi_client_id,
                                         WifiSession.start_time, WifiSession.stop_time)).all()
    durations = []
    for device_id, _, start, stop in sessions:
        assert start in times[device_id]
        if stop is not None:
            assert stop in times[device_id]
            if stop != max(times[device_id]):  # the real-time sample is less than an interval late
                durations.append(stop - start)
    assert min(durations) == INTERVAL  # seen by a single sample
    assert timedelta(minutes=10) <= statistics.median(durations) <= timedelta(hours=3)
    assert max(durations) >= timedelta(hours=1)
    stops = {(device_id, mac, stop) for device_id, mac, _, stop in sessions if stop is not None}
    assert any((device_id, mac, start) in stops for device_id, mac, start, _ in sessions)  # roamed


def test_a_bad_interval_is_refused_before_anything_is_written(app, app_context):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--interval-minutes", "0"])
    assert result.exit_code == 2 and "--interval-minutes" in result.output
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 0


# --- the simulation ---------------------------------------------------------------------

START = datetime(2024, 5, 6, 22, 0, tzinfo=UTC)  # midnight in Rome, a Monday night


def simulate(indexes, *, days: int = 1) -> dict[int, list[dict]]:
    """Five-minute samples of demo access points ``indexes`` over ``days``."""
    period = days * DAY
    step = INTERVAL.total_seconds()
    access_points = network.build([network.profile(index) for index in indexes], start=START,
                                       period=period, horizon=period, shortest=step, rng=random.Random(7))
    return {ap.profile.index: [ap.sample(n * step) for n in range(int(period // step) + 1)] for ap in access_points}


def clients(sample: dict) -> set[tuple[str, str]]:
    """(interface, MAC) of the clients a sample lists."""
    return {(interface["name"], client["mac"]) for interface in sample["interfaces"]
            for client in (interface.get("wireless") or {}).get("clients", [])}


def wan(sample: dict) -> tuple[int, int]:
    statistics_ = next(i for i in sample["interfaces"] if i["name"] == "wan")["statistics"]
    return statistics_["rx_bytes"], statistics_["tx_bytes"]


@pytest.fixture(scope="module")
def simulated_day():
    return simulate(range(DEVICES))


def test_simulated_samples_are_valid_netjson(simulated_day):
    for samples in simulated_day.values():
        for sample in samples[::12]:
            assert netjson.validation_error(sample) is None


def test_simulated_clients_come_and_go_with_the_daily_rhythm(simulated_day):
    for samples in simulated_day.values():
        # visits: runs of consecutive samples listing the same client on the same radio
        visits, runs = [], defaultdict(int)
        for sample in samples:
            present = clients(sample)
            visits += [length for key, length in runs.items() if key not in present]
            runs = defaultdict(int, {key: runs[key] + 1 for key in present})
        minutes = [length * 5 for length in visits]
        assert len(minutes) > 20
        assert 10 <= statistics.median(minutes) <= 180
        assert max(minutes) >= 90
        night = statistics.mean(len(clients(sample)) for sample in samples[2 * 12:4 * 12])  # 2-4 am in Rome
        day = statistics.mean(len(clients(sample)) for sample in samples[10 * 12:12 * 12])  # 10 am-noon
        assert day > 3 * night > 0


def test_simulated_clients_roam_between_radios_and_come_back():
    samples = simulate([0], days=2)[0]  # the station: many clients
    radios_by_mac, visits_by_mac = defaultdict(set), defaultdict(int)
    previous: set = set()
    for sample in samples:
        present = clients(sample)
        for interface, mac in present:
            radios_by_mac[mac].add(interface)
        for mac in {mac for _, mac in present} - {mac for _, mac in previous}:
            visits_by_mac[mac] += 1
        previous = present
    assert any(radios == {"wlan0", "wlan1"} for radios in radios_by_mac.values())
    assert any(count >= 2 for count in visits_by_mac.values())  # regulars come back


def test_simulated_counters_grow_past_32_bits_and_restart_only_at_the_reboot():
    samples = simulate([10], days=7)[10]  # the access point upgraded one night
    restarts = [n for n in range(1, len(samples))
                if samples[n]["general"]["uptime"] < samples[n - 1]["general"]["uptime"]]
    assert len(restarts) == 1
    for n in range(1, len(samples)):
        if n not in restarts:
            assert wan(samples[n]) >= wan(samples[n - 1])
        else:
            assert wan(samples[n]) < wan(samples[n - 1])
    assert max(wan(sample)[0] for sample in samples) > 2**32


def test_simulated_sites_share_no_clients(simulated_day):
    """What lets seed-demo write sites side by side without two writers ever waiting on the
    same WiFi client rows."""
    macs_by_site = defaultdict(set)
    for index, samples in simulated_day.items():
        macs_by_site[network.site_of(index)] |= {mac for sample in samples for _, mac in clients(sample)}
    assert len(macs_by_site) == DEVICES
    assert all(one.isdisjoint(other) for one, other in itertools.combinations(macs_by_site.values(), 2))
