"""Faults under a real gunicorn: the database restarting under load, and a worker killed in
the middle of a device sample. The long form, with hundreds of devices, is ``make
bench-load`` (bench/load.py).

The restart test stops and starts the throwaway cluster of ``make test`` (scripts/test.sh
names it in TEST_DB_DATA_DIR and TEST_DB_PORT) and always starts it again, so the rest of
the suite runs on.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from config import Config
from monitoring.services.ingest.samples import TIME_FORMAT
from tests.ops.conftest import POINTS_PER_SAMPLE, closing_connection, database_down, stored_points

pytestmark = pytest.mark.e2e

# A request must fail within the wait for a pooled connection plus one connection attempt.
BOUND_SECONDS = (Config.SQLALCHEMY_ENGINE_OPTIONS["pool_timeout"]
                 + Config.SQLALCHEMY_ENGINE_OPTIONS["connect_args"]["connect_timeout"] + 2)
# Far above the bound: a request that hangs is measured, not cut short by the client.
CLIENT_TIMEOUT = 30


def standard_sample(seq: int) -> dict:
    """A sample of 15 points, like the benchmarks' standard one: traffic of eth0 and wlan0,
    10 WiFi clients, cpu, memory and disk."""
    clients = [{"mac": f"aa:bb:cc:00:00:{j:02x}", "aid": j + 1, "signal": -40 - j, "noise": -95, "assoc": True,
                "auth": True, "authorized": True, "ht": True, "vht": False, "he": False, "wds": False,
                "wmm": True, "wps": False, "mfp": False, "preauth": False} for j in range(10)]
    return {
        "type": "DeviceMonitoring",
        "general": {"hostname": "ap", "local_time": 1_700_000_000 + seq, "uptime": 3600 + seq},
        "resources": {
            "load": [0.1, 0.1, 0.05], "cpus": 1,
            "memory": {"total": 249_774_080, "free": 100_000_000, "shared": 86_016, "buffered": 9_000_000},
            "disk": [{"used_bytes": 7_000_000, "available_bytes": 8_507_456, "filesystem": "/dev/root",
                      "mount_point": "/", "used_percent": 45, "size_bytes": 15_507_456}],
        },
        "interfaces": [
            {"name": "eth0", "type": "ethernet", "up": True,
             "statistics": {"rx_bytes": 10_000_000 + seq * 1_500_000, "tx_bytes": 5_000_000 + seq * 400_000}},
            {"name": "wlan0", "type": "wireless", "up": True,
             "statistics": {"rx_bytes": 3_000_000 + seq * 800_000, "tx_bytes": 8_000_000 + seq * 2_000_000},
             "wireless": {"ssid": "office", "mode": "access_point", "channel": 6, "frequency": 2437,
                          "tx_power": 20, "signal": -30, "noise": -95, "country": "IT", "htmode": "HT20",
                          "clients": clients}},
        ],
    }


@dataclass(frozen=True)
class DeviceKey:
    """What a device sends with: plain values, usable from any thread (an ORM object is
    bound to its session)."""

    id: object
    key: str


def post_sample(base: str, device: DeviceKey, sample_time: datetime, seq: int, http=requests) -> requests.Response:
    return http.post(f"{base}/api/v1/monitoring/device/{device.id}/", json=standard_sample(seq),
                     params={"key": device.key, "time": sample_time.strftime(TIME_FORMAT)}, timeout=CLIENT_TIMEOUT)


# --- The database restarting under load ----------------------------------------------------


@dataclass
class Answer:
    kind: str  # "post", "detail", "dashboard" or "page" (a chart opened in a web browser)
    started: float  # time.monotonic()
    latency: float
    status: int | None
    problem: str | None  # an exception, or what is wrong with the answer
    device: int | None = None

    @property
    def ended(self) -> float:
        return self.started + self.latency


class LightLoad:
    """A few devices posting samples back to back, each with its own ``time`` (one that is
    not answered 200 is resent, same time), and a user reading charts, also as a web browser
    does; until the block ends."""

    def __init__(self, base: str, devices: list, token: str):
        self.base, self.devices, self.token = base, devices, token
        self.answers: list[Answer] = []
        self.sent: dict[int, set[datetime]] = defaultdict(set)
        self.acked: dict[int, set[datetime]] = defaultdict(set)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._device, args=(i,)) for i in range(len(devices))]
        self._threads.append(threading.Thread(target=self._reader))

    def __enter__(self) -> LightLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)

    def _request(self, kind: str, call, device: int | None = None) -> Answer:
        started = time.monotonic()
        try:
            response = call()
        except requests.RequestException as error:
            answer = Answer(kind, started, time.monotonic() - started, None, type(error).__name__, device)
        else:
            answer = Answer(kind, started, time.monotonic() - started, response.status_code,
                            _problem(response), device)
        self.answers.append(answer)
        return answer

    def _device(self, index: int) -> None:
        http, device, seq, pending = requests.Session(), self.devices[index], 0, None
        while not self._stop.is_set():
            if pending is None:
                pending, seq = (datetime.now(UTC), seq), seq + 1
            sample_time, sample_seq = pending
            self.sent[index].add(sample_time)
            answer = self._request(
                "post", lambda t=sample_time, s=sample_seq: post_sample(self.base, device, t, s, http), index)
            if answer.status == 200:
                self.acked[index].add(sample_time)
                pending = None
            self._stop.wait(0.05)

    def _reader(self) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.token}"
        paths = [("detail", f"/api/v1/monitoring/device/{device.id}/?time=1d") for device in self.devices]
        paths.append(("dashboard", "/api/v1/monitoring/dashboard/?time=1d"))
        paths.append(("page", paths[0][1]))
        browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        turn = 0
        while not self._stop.is_set():
            kind, path = paths[turn % len(paths)]
            headers = browser if kind == "page" else {}
            self._request(kind, lambda url=self.base + path, headers=headers: http.get(
                url, headers=headers, timeout=CLIENT_TIMEOUT))
            turn += 1
            self._stop.wait(0.1)

    def wait_for(self, condition, *, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
            time.sleep(0.05)

    def every_device_answered_200_after(self, moment: float) -> bool:
        done = {a.device for a in list(self.answers) if a.kind == "post" and a.status == 200 and a.started >= moment}
        return len(done) == len(self.devices)


def _problem(response: requests.Response) -> str | None:
    if response.status_code == 503:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = None
        if not detail or not response.headers.get("Retry-After"):
            return "503 without a JSON detail and Retry-After"
    return None


def test_database_restart_under_load_answers_503_fast_and_recovers_without_losing_samples(
        start_gunicorn, make, database_url, restartable_database):
    server = start_gunicorn()
    org = make.org()
    devices = [DeviceKey(d.id, d.key) for d in (make.device(org) for _ in range(3))]
    token = make.token(make.user(superuser=True))
    workers = server.worker_pids()

    with LightLoad(server.base, devices, token) as load:
        load.wait_for(lambda: load.every_device_answered_200_after(0), seconds=15, what="first samples")
        stop_began = time.monotonic()
        with database_down(restartable_database):
            load.wait_for(lambda: any(a.status == 503 and a.kind == "post" and a.started >= stop_began
                                      for a in list(load.answers)), seconds=10, what="a 503 while down")
            time.sleep(1.5)
        back = time.monotonic()
        load.wait_for(lambda: load.every_device_answered_200_after(back), seconds=BOUND_SECONDS,
                      what="every device answered 200 after the database came back")
        time.sleep(0.5)

    answers = load.answers
    unexpected = [a for a in answers if a.status not in (200, 503) or a.problem]
    server_errors = [line for line in server.log_text().splitlines() if '"level": "info"' not in line]
    # The whole log on failure: a 5xx here is a race worth its traceback.
    assert not unexpected, f"{unexpected}\n" + "\n".join(server_errors)
    refused = [a for a in answers if a.status == 503]
    assert any(a.kind == "post" for a in refused), "samples during the outage must answer 503"
    assert any(a.kind != "post" for a in refused), "chart reads during the outage must answer 503 too"
    # Only during the outage, and no request hung: each answered within the bound.
    assert all(stop_began <= a.ended and a.started <= back for a in refused)
    slowest = max(answers, key=lambda a: a.latency)
    assert slowest.latency < BOUND_SECONDS, slowest
    # Recovered by itself: the same workers serve again, and every device's last sample is stored.
    assert server.process.poll() is None and server.worker_pids() == workers
    for index, device in enumerate(devices):
        last = max((a for a in answers if a.device == index), key=lambda a: a.started)
        assert last.status == 200
        points = stored_points(database_url, device.id)
        assert load.acked[index] <= set(points) <= load.sent[index]
        assert set(points.values()) == {POINTS_PER_SAMPLE}, "a sample was stored partly"


# --- A worker killed in the middle of a sample ---------------------------------------------

# A lock held from the test pins the worker at a chosen point of the sample's transaction:
# the device's state row is the sample's first lock (no point written yet); the snapshot row
# is written after the points, in the message that also carries the COMMIT. Once that
# message is sent, the database finishes it whether or not the worker lives to answer: the
# sample is stored whole, unanswered, and the device's resend adds nothing. What must never
# happen is half a sample. (stage, lock, points written when pinned, stored in the end)
STAGES = [
    ("waiting for the device's state, nothing written yet",
     "SELECT 1 FROM device_monitoring WHERE device_id = %s FOR UPDATE", False, False),
    ("its points inserted, the COMMIT sent with them",
     "SELECT 1 FROM device_data WHERE device_id = %s FOR UPDATE", True, True),
]


def _blocked_backend(observer, blocker_pid: int, *, seconds: float = 10) -> tuple[int, int, str]:
    deadline = time.monotonic() + seconds
    with observer.cursor() as cursor:
        while True:
            cursor.execute("SELECT pid, client_port, query FROM pg_stat_activity "
                           "WHERE %s = ANY(pg_blocking_pids(pid))", (blocker_pid,))
            row = cursor.fetchone()
            if row:
                return row
            assert time.monotonic() < deadline, "the sample never waited on the lock"
            time.sleep(0.02)


def _written_chunks(observer, backend_pid: int) -> int:
    """Hypertable chunks the backend holds a write lock on: it has inserted points."""
    with observer.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                          JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE l.pid = %s AND l.mode = 'RowExclusiveLock' AND l.granted
                            AND n.nspname = '_timescaledb_internal'""", (backend_pid,))
        return cursor.fetchone()[0]


def _process_with_connection(pids: set[int], local_port: int) -> int:
    """Which of ``pids`` owns the TCP connection whose local end is ``local_port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
            inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(descriptor) in inodes:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker holds the database connection from port {local_port}")


def _wait_gone(observer, backend_pid: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    with observer.cursor() as cursor:
        while True:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend_pid,))
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, "the dead worker's database session lingers"
            time.sleep(0.02)


def test_worker_killed_mid_sample_stores_all_or_nothing_and_the_resend_stores_everything(
        start_gunicorn, make, database_url):
    server = start_gunicorn()
    created = make.device(make.org())
    device = DeviceKey(created.id, created.key)
    first = datetime.now(UTC)
    assert post_sample(server.base, device, first, 0).status_code == 200
    assert set(stored_points(database_url, device.id).values()) == {POINTS_PER_SAMPLE}

    unsent: list[tuple[datetime, int]] = []
    stored = [first]
    with closing_connection(database_url) as observer, \
            closing_connection(database_url, autocommit=False) as blocker:
        for seq, (stage, lock_sql, points_written, stored_in_the_end) in enumerate(STAGES, start=1):
            workers = server.worker_pids()
            sample_time = datetime.now(UTC)
            with blocker.cursor() as cursor:
                cursor.execute(lock_sql, (device.id,))
            poster, outcome = _post_in_background(server.base, device, sample_time, seq)
            try:
                backend_pid, client_port, query = _blocked_backend(observer, blocker.info.backend_pid)
                assert (_written_chunks(observer, backend_pid) > 0) == points_written, (stage, query[:100])
                victim = _process_with_connection(workers, client_port)
                os.kill(victim, signal.SIGKILL)
                poster.join(timeout=10)
            finally:
                blocker.rollback()  # the lock goes; the orphaned session finds its client gone
            assert isinstance(outcome[0], requests.ConnectionError), (stage, outcome)
            _wait_gone(observer, backend_pid)
            if stored_in_the_end:
                stored.append(sample_time)
            points = stored_points(database_url, device.id)
            assert points == {t: POINTS_PER_SAMPLE for t in stored}, stage
            with observer.cursor() as cursor:
                cursor.execute("SELECT sample_time FROM device_data WHERE device_id = %s", (device.id,))
                assert cursor.fetchone()[0] == stored[-1], f"{stage}: the snapshot is not the last stored sample's"
            unsent.append((sample_time, seq))

            deadline = time.monotonic() + 20  # the master replaces the worker
            while not (victim not in server.worker_pids() and len(server.worker_pids()) == len(workers)):
                assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
                time.sleep(0.05)

    # The device resends what was never answered (twice: resending is harmless).
    for sample_time, seq in unsent + unsent:
        assert post_sample(server.base, device, sample_time, seq).status_code == 200
    points = stored_points(database_url, device.id)
    assert points == {first: POINTS_PER_SAMPLE, **{t: POINTS_PER_SAMPLE for t, _ in unsent}}


def _post_in_background(base: str, device, sample_time: datetime, seq: int) -> tuple[threading.Thread, list]:
    """A thread posting one sample; the list gets its response, or the exception."""
    outcome: list = []

    def post() -> None:
        try:
            outcome.append(post_sample(base, device, sample_time, seq))
        except requests.RequestException as error:
            outcome.append(error)

    thread = threading.Thread(target=post)
    thread.start()
    return thread, outcome
