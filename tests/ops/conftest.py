"""Fixtures of the operations tests: a gunicorn started with chosen settings, and a device
sample to send."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

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
    """Serve the app like ``make run`` does, with extra settings; returns once it answers."""
    port = free_port()
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
