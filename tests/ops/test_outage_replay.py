"""A device back after a six-hour outage, through gunicorn: what the OpenWrt monitoring agent
(``openwisp-monitoring``) sends, and what users read right after.

While the server is unreachable the agent keeps one sample every 5 minutes; once it answers,
it sends them oldest first, each with its collection time (``?time=``, UTC, microseconds
always ``.000000``), the last one with ``current=true`` (or, as it often does, without). It
deletes a sample on 200, drops it on 400 and resends anything else. Here one of them meets
the database stopped (503), and is resent until stored.

The rollups were refreshed before the samples arrive, so the outage's hours are already
behind the watermark: the service marks those hours and reads them raw until the next
refresh, and the charts must show the late samples at once, the same before and after it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import requests

from bench.workload import make_payload
from monitoring import netjson
from monitoring.extensions import db
from monitoring.models import DeviceLocation
from monitoring.services.charts.builder import LABEL_FORMAT, round_value
from monitoring.services.ingest.samples import TIME_FORMAT
from monitoring.timeseries.chart_queries import floor_hour
from monitoring.timeseries.rollups import refresh_rollups
from tests.ops.conftest import POINTS_PER_SAMPLE, closing_connection, database_down, stored_points

pytestmark = pytest.mark.e2e

INTERVAL = timedelta(minutes=5)  # the agent's default collection interval
HISTORY = 72  # six hours of samples before the outage
BUFFERED = 72  # six hours of samples kept by the agent during the outage
REFUSED = 30  # the buffered sample that meets the database stopped
DEVICE_INDEX = 0  # make_payload's device
# The dashboard's traffic chart sums these interfaces: the default list, plus eth0.
TRAFFIC_CHART = '{"__all__": ["wan", "eth1", "eth0.2", "eth0"]}'
# Charts are compared before and after a refresh: both reads must fall in one 10-minute
# bucket grid (1d buckets; the 7d ones are hours), else the windows differ.
GRID = timedelta(minutes=10)
COMPARISON_SECONDS = 15  # far above the reads and refresh it covers (about 1 s)
RESEND_SECONDS = 30  # the agent resends forever; the test gives up after this
CLIENT_TIMEOUT = 30


@dataclass(frozen=True)
class Sample:
    time: datetime
    seq: int  # make_payload's sample number: counters grow with it

    @property
    def payload(self) -> dict:
        return make_payload(DEVICE_INDEX, self.seq)


def disk_full(payload: dict) -> dict:
    """The sample with its disk 95 % full: above the disk alert's threshold (90 %)."""
    disk = payload["resources"]["disk"][0]
    disk["used_bytes"] = disk["size_bytes"] * 95 // 100
    disk["available_bytes"] = disk["size_bytes"] - disk["used_bytes"]
    disk["used_percent"] = 95
    return payload


@dataclass
class Agent:
    """The device's monitoring agent: one sample at a time, with its time, until the server
    takes or refuses it."""

    base: str
    device_id: object
    key: str
    http: requests.Session = field(default_factory=requests.Session)
    statuses: list[int] = field(default_factory=list)  # every answer, in order
    discarded: list[Sample] = field(default_factory=list)

    def post(self, sample: Sample, payload: dict, *, current: bool) -> requests.Response:
        params = {"key": self.key, "time": sample.time.strftime(TIME_FORMAT)}
        if current:
            params["current"] = "true"
        response = self.http.post(f"{self.base}/api/v1/monitoring/device/{self.device_id}/", json=payload,
                                  params=params, timeout=CLIENT_TIMEOUT)
        self.statuses.append(response.status_code)
        return response

    def deliver(self, sample: Sample, payload: dict | None = None, *, current: bool = False) -> None:
        """Send until 200 (the agent deletes the sample) or 400 (it drops it); any other
        answer is resent."""
        deadline = time.monotonic() + RESEND_SECONDS
        while True:
            response = self.post(sample, payload or sample.payload, current=current)
            if response.status_code == 200:
                return
            if response.status_code == 400:
                self.discarded.append(sample)
                return
            assert time.monotonic() < deadline, f"{sample}: still {response.status_code} after {RESEND_SECONDS} s"
            time.sleep(0.2)


def wait_clear_of_grid_edge() -> None:
    """Sleep past the next 10-minute boundary when it is too close for the comparison."""
    now = datetime.now(UTC)
    left = GRID - (now - datetime.min.replace(tzinfo=UTC)) % GRID
    if left.total_seconds() < COMPARISON_SECONDS:
        time.sleep(left.total_seconds() + 1)


def read_charts(base: str, user: requests.Session, paths: list[str]) -> dict[str, dict]:
    bodies = {}
    for path in paths:
        response = user.get(base + path, timeout=CLIENT_TIMEOUT)
        assert response.status_code == 200, (path, response.text)
        bodies[path] = response.json()
    return bodies


def bucket_starts(x: list[str]) -> list[datetime]:
    return [datetime.strptime(label, LABEL_FORMAT).replace(tzinfo=UTC) for label in x]


def grouped(x: list[str], points: list[tuple[datetime, object]]) -> list[list]:
    """The values of ``points`` in each bucket of the chart's labels (UTC)."""
    starts = bucket_starts(x)
    width = starts[1] - starts[0]
    buckets: list[list] = [[] for _ in starts]
    for point_time, value in points:
        index = (point_time - starts[0]) // width
        assert 0 <= index < len(starts), f"{point_time} outside the window {x[0]}..{x[-1]}"
        buckets[index].append(value)
    return buckets


def raw_points(database_url: str, sql: str, *params) -> list[tuple]:
    with closing_connection(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def expected_traffic(x: list[str], rows: list[tuple]) -> dict:
    """Download and upload in GB per bucket, and over the window, from the raw traffic points
    ``(time, rx_bytes, tx_bytes)``."""
    def gigabytes(values: list) -> float | None:  # exact numeric sums, scaled as floats
        return round_value(float(sum(values)) / 1e9) if values else None

    download = grouped(x, [(row[0], row[1]) for row in rows])
    upload = grouped(x, [(row[0], row[2]) for row in rows])
    return {"traces": {"download": [gigabytes(b) for b in download], "upload": [gigabytes(b) for b in upload]},
            "summary": {"download": gigabytes([row[1] for row in rows]),
                        "upload": gigabytes([row[2] for row in rows])}}


def expected_clients(x: list[str], rows: list[tuple]) -> dict:
    """Unique WiFi clients per bucket, and over the window, from the raw points ``(time, mac)``."""
    return {"traces": {"wifi_clients": [len(set(b)) for b in grouped(x, rows)]},
            "summary": {"wifi_clients": len({mac for _, mac in rows})}}


def drawn(chart: dict) -> dict:
    return {"traces": dict(chart["traces"]), "summary": chart["summary"]}


def assert_outage_shown(body: dict, outage: list[Sample]) -> None:
    """Every trace of every chart has a value in each bucket holding a buffered sample."""
    starts = bucket_starts(body["x"])
    width = starts[1] - starts[0]
    for sample in outage:
        index = (sample.time - starts[0]) // width
        for chart in body["charts"]:
            for name, values in chart["traces"]:
                assert values[index] not in (None, 0), (chart["title"], name, body["x"][index], values[index])


def replay_with_the_database_stopped_once(agent: Agent, outage: list[Sample], last: dict, *, cluster,
                                          current: bool) -> None:
    """The buffer, oldest first; the database stops just before one sample (503 with
    Retry-After), starts again, and the agent resends that sample until it is stored (and
    once more, as if the 200 had been lost)."""
    for sample in outage[:-1]:
        if sample is outage[REFUSED]:
            with database_down(cluster):
                refused = agent.post(sample, sample.payload, current=False)
            assert refused.status_code == 503 and refused.headers.get("Retry-After"), refused.text
            assert refused.json()["detail"]
            agent.deliver(sample)
            agent.deliver(sample)  # as when the 200 is lost on the way: the agent sends it again
            continue
        agent.deliver(sample)
    agent.deliver(outage[-1], last, current=current)
    assert not agent.discarded
    assert agent.statuses.count(503) >= 1 and set(agent.statuses) <= {200, 503}


def assert_charts_equal_raw_points(bodies: dict[str, dict], database_url: str, device_id,
                                   outage: list[Sample]) -> None:
    """Traffic and WiFi clients exactly as the raw points give them, bucket by bucket and
    over the window; every chart with a value wherever a buffered sample lies. The device
    has eth0 and wlan0; the dashboard's traffic chart sums eth0 only (TRAFFIC_CHART)."""
    traffic = {ifname: raw_points(database_url, "SELECT time, rx_bytes, tx_bytes FROM traffic_points"
                                                " WHERE device_id = %s AND ifname = %s", device_id, ifname)
               for ifname in ("eth0", "wlan0")}
    clients = raw_points(database_url, "SELECT time, client_mac FROM wifi_client_points WHERE device_id = %s",
                         device_id)
    for path, body in bodies.items():
        charts = {chart["title"]: chart for chart in body["charts"]}
        if "/dashboard/" in path:
            expected = {"General Traffic": expected_traffic(body["x"], traffic["eth0"]),
                        "General WiFi Clients": expected_clients(body["x"], clients)}
            assert set(charts) == set(expected), path
        else:
            expected = {f"Traffic: {ifname}": expected_traffic(body["x"], rows) for ifname, rows in traffic.items()}
            expected["WiFi clients: wlan0"] = expected_clients(body["x"], clients)
            assert set(charts) == {*expected, "Memory Usage", "CPU Load", "Disk Usage"}, path
        for title, values in expected.items():
            assert drawn(charts[title]) == values, (path, title)
        assert_outage_shown(body, outage)


@pytest.mark.parametrize("last_sent_current", [True, False], ids=["last-sent-current", "never-current"])
def test_agent_back_after_six_hours_every_sample_is_stored_once_and_charted_at_once(
        start_gunicorn, make, database_url, restartable_database, last_sent_current):
    server = start_gunicorn(MONITORING_DASHBOARD_TRAFFIC_CHART=TRAFFIC_CHART, TIME_ZONE="UTC")
    org = make.org()
    created, location = make.device(org), make.location(org)
    # At a location of its organization: its points carry it, the dashboard counts them there.
    db.session.add(DeviceLocation(device_id=created.id, location_id=location.id))
    db.session.commit()
    device_id, location_id = created.id, location.id
    agent = Agent(server.base, device_id, created.key)
    user = requests.Session()
    user.headers["Authorization"] = f"Bearer {make.token(make.user(superuser=True))}"

    newest = datetime.now(UTC).replace(microsecond=0)
    times = [newest - INTERVAL * n for n in reversed(range(HISTORY + BUFFERED))]
    samples = [Sample(sample_time, seq) for seq, sample_time in enumerate(times)]
    history, outage = samples[:HISTORY], samples[HISTORY:]
    assert outage[0].time.strftime(TIME_FORMAT).endswith(".000000")  # the agent's format

    # Online until six hours ago; then the rollups are refreshed past the outage's hours.
    for sample in history:
        agent.deliver(sample)
    refreshed = refresh_rollups(db.session)
    assert refreshed.watermark > outage[-2].time

    last = disk_full(outage[-1].payload)
    replay_with_the_database_stopped_once(agent, outage, last, cluster=restartable_database,
                                          current=last_sent_current)

    # Stored exactly once: every sample with all its points, the refused one included.
    assert stored_points(database_url, device_id) == {sample.time: POINTS_PER_SAMPLE for sample in samples}
    # The late hours are marked, to be read raw until the next refresh.
    marked = {row[0] for row in raw_points(database_url, "SELECT hour FROM rollup_backlog WHERE device_id = %s",
                                           device_id)}
    assert marked == {floor_hour(s.time) for s in outage if s.time < refreshed.watermark}

    # The charts at once, with no refresh since the samples arrived.
    wait_clear_of_grid_edge()
    started = time.monotonic()
    paths = [*(f"/api/v1/monitoring/device/{device_id}/?time={days}" for days in ("1d", "7d")),
             *(f"/api/v1/monitoring/dashboard/?time={days}" for days in ("1d", "7d"))]
    before = read_charts(server.base, user, paths)
    assert_charts_equal_raw_points(before, database_url, device_id, outage)
    located = read_charts(server.base, user, [f"/api/v1/monitoring/dashboard/?time=1d&location_id={location_id}"])
    assert list(located.values()) == [before["/api/v1/monitoring/dashboard/?time=1d"]]

    # A refresh takes the marked hours into the rollups: the charts stay exactly the same.
    assert refresh_rollups(db.session).watermark >= refreshed.watermark
    assert raw_points(database_url, "SELECT count(*) FROM rollup_backlog") == [(0,)]
    after = read_charts(server.base, user, paths)
    assert time.monotonic() - started < COMPARISON_SECONDS, "the comparison took longer than its margin"
    for path, body in before.items():
        assert after[path] == body, path

    # Status and latest data: the newest sample's, by its time, whatever ``current`` said.
    detail = user.get(f"{server.base}/api/v1/monitoring/device/{device_id}/", params={"status": "true"},
                      timeout=CLIENT_TIMEOUT).json()
    assert detail["data"] == netjson.transform(last)
    assert detail["monitoring"]["status"] == "problem"  # its disk is full; every other sample was history
