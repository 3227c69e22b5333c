"""A real gunicorn serving the app (as ``make run`` does) against the test database."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_env(app):
    env = dict(os.environ)
    env["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg2", "")
    env["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    env["SECRET_KEY"] = "e2e-secret"
    return env


@pytest.fixture(scope="session")
def server(server_env, tmp_path_factory):
    port = free_port()
    env = dict(server_env, PORT=str(port), WEB_CONCURRENCY="2", GUNICORN_ACCESSLOG="",
               MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    log = open(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log", "w+")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:  # not listening yet, or workers still booting
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"gunicorn did not start:\n{log.read()}")
        time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture
def flask_cli(server_env):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT, env=server_env, capture_output=True, text=True, timeout=60,
        )

    return run
