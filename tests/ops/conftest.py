"""Fixtures of the operations tests: a gunicorn started with chosen settings, a device
sample to send, the points stored per sample, and the test database stopped and started."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests

from monitoring.timeseries.tables import HYPERTABLES

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Points of the standard sample (bench/workload/payload.py): traffic of eth0 and wlan0,
# 10 WiFi clients, cpu, memory and disk.
POINTS_PER_SAMPLE = 15

SAMPLE = {
    "type": "DeviceMonitoring",
    "interfaces": [{"name": "eth0", "type": "ethernet", "statistics": {"rx_bytes": 1000, "tx_bytes": 2000}}],
    "resources": {"load": [0.5, 0.4, 0.3], "cpus": 1,
                  "memory": {"total": 249774080, "free": 224497664, "buffered": 974848, "shared": 102400}},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Gunicorn:
    base: str
    process: subprocess.Popen
    log_path: Path
    _log: object = field(repr=False, default=None)

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def json_lines(self) -> list[dict]:
        """Every line gunicorn and the app printed, parsed: each one must be JSON."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]

    def request_lines(self) -> list[dict]:
        return [line for line in self.json_lines() if line.get("logger") == "monitoring.requests"]

    def worker_pids(self) -> set[int]:
        """The worker processes: the master's children."""
        pid = self.process.pid
        return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self._log.close()


@pytest.fixture(scope="session")
def database_url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg2", "")


def launch_gunicorn(database_url: str, directory: Path, **extra_env: str) -> Gunicorn:
    """Serve the app like ``make run`` does, with extra settings (``PORT`` too, else a free
    one); returns once it answers."""
    port = int(extra_env.pop("PORT", 0)) or free_port()
    env = dict(os.environ, DATABASE_URL=database_url, PORT=str(port), WEB_CONCURRENCY="2",
               PASSWORD_HASH_METHOD="pbkdf2:sha256:1000", SECRET_KEY="ops-secret", LOG_FORMAT="json",
               MEDIA_ROOT=str(directory / "media"))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(extra_env)
    log_path = directory / f"gunicorn-{port}.log"
    log = open(log_path, "w+")
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log_path, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:  # not listening yet, or workers still booting
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            text = server.log_text()
            server.stop()
            pytest.fail(f"gunicorn did not start:\n{text}")
        time.sleep(0.1)


@pytest.fixture
def start_gunicorn(database_url, tmp_path):
    """``start_gunicorn(**env)``: a server of this test, stopped after it."""
    started: list[Gunicorn] = []

    def start(**extra_env: str) -> Gunicorn:
        server = launch_gunicorn(database_url, tmp_path, **extra_env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --- The database: points stored, and the test cluster stopped and started ----------------


def stored_points(database_url: str, device_id) -> dict[datetime, int]:
    """Points per sample time of a device, over every hypertable."""
    points: dict[datetime, int] = defaultdict(int)
    with closing_connection(database_url) as connection, connection.cursor() as cursor:
        for table in HYPERTABLES:  # names from our own table definitions
            cursor.execute(f"SELECT time, count(*) FROM {table.name} WHERE device_id = %s GROUP BY time",
                           (device_id,))
            for sample_time, count in cursor.fetchall():
                points[sample_time] += count
    return points


@contextmanager
def closing_connection(database_url: str, *, autocommit: bool = True):
    connection = psycopg2.connect(database_url)
    connection.autocommit = autocommit
    try:
        yield connection
    finally:
        connection.close()


@dataclass(frozen=True)
class Cluster:
    data_dir: str
    port: str
    name: str

    def _db_sh(self, *args: str) -> None:
        subprocess.run(["bash", "scripts/db.sh", *args], cwd=ROOT, check=True, timeout=120,
                       capture_output=True)

    def stop(self) -> None:
        self._db_sh("stop", self.data_dir)

    def start(self) -> None:
        self._db_sh("start", self.data_dir, self.port, self.name)


@pytest.fixture
def restartable_database(database_url) -> Cluster:
    data_dir, port = os.environ.get("TEST_DB_DATA_DIR"), os.environ.get("TEST_DB_PORT")
    if not data_dir or not port:
        pytest.fail("TEST_DB_DATA_DIR and TEST_DB_PORT name the test cluster to restart: run through "
                    "'make test' (scripts/test.sh)")
    assert urlsplit(database_url).port == int(port), "TEST_DB_PORT is not the cluster of TEST_DATABASE_URL"
    return Cluster(data_dir, port, urlsplit(database_url).path.lstrip("/"))


@contextmanager
def database_down(cluster: Cluster):
    """The database stopped (fast shutdown: sessions are ended) until the block ends, then
    started again whatever happened."""
    try:
        cluster.stop()
        yield
    finally:
        cluster.start()
