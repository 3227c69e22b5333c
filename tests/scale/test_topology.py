"""The whole topology on one machine, end to end: two gunicorn instances behind HAProxy,
both through PgBouncer in transaction mode, heavy reads on the streaming replica, and two
workers. A browser session, CSRF, login throttling, token revocation, floorplan images and
the worker's jobs behave as on one host (docs/scale-out.md)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.inventory.test_locations import PNG
from tests.ops.conftest import BIN, ROOT, closing_connection, free_port, launch_gunicorn
from tests.ops.metrics_support import samples, value

pytestmark = pytest.mark.e2e

PASSWORD = "secret-pass"


def shared_settings(pgbouncer, directory: Path) -> dict:
    """What every app host and worker is started with: the same database, key and media."""
    return {"DATABASE_URL": pgbouncer.primary_url, "DATABASE_REPLICA_URLS": pgbouncer.replica_url,
            "DB_TRANSACTION_POOLING": "1", "SECRET_KEY": "shared-secret", "MEDIA_ROOT": str(directory / "media"),
            "LOGIN_MAX_FAILURES": "2", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "LOG_FORMAT": "json"}


@pytest.fixture(scope="module")
def hosts(pgbouncer, tmp_path_factory):
    """Two app hosts, and HAProxy in front of them taking turns (it names the host that
    answered in ``X-Served-By``)."""
    directory = tmp_path_factory.mktemp("topology")
    settings = shared_settings(pgbouncer, directory)
    servers = [launch_gunicorn(pgbouncer.primary_url, directory, **settings) for _ in range(2)]
    port = free_port()
    backends = "\n".join(f"    server host{n} {server.base.removeprefix('http://')}"
                         for n, server in enumerate(servers, 1))
    (directory / "haproxy.cfg").write_text(f"""
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend balancer
    bind 127.0.0.1:{port}
    default_backend app_hosts
backend app_hosts
    balance roundrobin
    http-response set-header X-Served-By %[srv_name]
{backends}
""")
    balancer = subprocess.Popen(["/usr/sbin/haproxy", "-db", "-f", str(directory / "haproxy.cfg")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=2)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "haproxy did not start"
            time.sleep(0.05)
    yield base, [server.base for server in servers], directory
    balancer.terminate()
    balancer.wait(timeout=30)
    for server in servers:
        server.stop()


def csrf_token(http: requests.Session, base: str) -> str:
    """The CSRF token of the login page (with a session, its logout form's)."""
    page = http.get(f"{base}/api/v1/auth/login/", timeout=10).text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def log_in(http: requests.Session, base: str, user) -> None:
    """A browser session started on ``base``."""
    response = http.post(f"{base}/api/v1/auth/login/", allow_redirects=False, timeout=10,
                         data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(http, base)})
    assert response.status_code == 303


def test_a_browser_session_and_its_csrf_token_work_on_every_host(hosts, make, org):
    balancer, (host_a, host_b), _ = hosts
    user = make.user(manages=[org], password=PASSWORD)
    browser = requests.Session()
    log_in(browser, host_a, user)
    csrf = csrf_token(browser, host_a)
    assert browser.get(f"{host_b}/api/v1/monitoring/device/", timeout=10).status_code == 200
    served_by = {browser.get(f"{balancer}/api/v1/monitoring/device/", timeout=10).headers["X-Served-By"]
                 for _ in range(4)}
    assert served_by == {"host1", "host2"}
    # Logged out on B with the token A's page gave: the session ends for A too.
    response = browser.post(f"{host_b}/api/v1/auth/logout/", data={"csrf_token": csrf}, allow_redirects=False)
    assert response.status_code == 303
    assert browser.get(f"{host_a}/api/v1/monitoring/device/", timeout=10).status_code == 401


def test_login_throttling_and_token_revocation_are_shared(hosts, make, org):
    _, (host_a, host_b), _ = hosts
    user = make.user(manages=[org], password=PASSWORD)
    token = requests.post(f"{host_a}/api/v1/users/token/", json={"username": user.username, "password": PASSWORD},
                          timeout=10).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    token_id = requests.get(f"{host_b}/api/v1/users/token/", headers=bearer, timeout=10).json()[0]["id"]
    assert requests.delete(f"{host_b}/api/v1/users/token/{token_id}/", headers=bearer, timeout=10).status_code == 204
    assert requests.get(f"{host_a}/api/v1/users/token/", headers=bearer, timeout=10).status_code == 401

    wrong = {"username": user.username, "password": "wrong"}
    answers = [requests.post(f"{host}/api/v1/users/token/", json=wrong, timeout=10).status_code
               for host in (host_a, host_b, host_a)]
    assert answers == [400, 400, 429]  # LOGIN_MAX_FAILURES=2, counted wherever they happened


def test_reads_after_writes_on_any_host_come_from_the_replica(hosts, make, org):
    balancer, host_bases, directory = hosts
    device = make.device(org)
    location = make.location(org, type="indoor")
    headers = make.headers(make.user(manages=[org]))
    sample = {"type": "DeviceMonitoring", "interfaces": [
        {"name": "eth0", "type": "ethernet", "statistics": {"rx_bytes": 1000, "tx_bytes": 2000}}]}
    before = sum(served_by_replica(base) for base in host_bases)
    for _ in range(6):  # the POST and the read land on different hosts in turn
        posted = requests.post(f"{balancer}/api/v1/monitoring/device/{device.id}/", params={"key": device.key},
                               json=sample, timeout=10)
        assert posted.status_code == 200
        read = requests.get(f"{balancer}/api/v1/monitoring/device/{device.id}/metric/", headers=headers, timeout=10)
        assert read.status_code == 200 and read.json() != []
        assert read.headers["X-Served-By"] != posted.headers["X-Served-By"]
    assert sum(served_by_replica(base) for base in host_bases) > before
    # A floorplan image uploaded through one host is served by the other.
    created = requests.post(f"{host_bases[0]}/api/v1/controller/floorplan/", headers=headers,
                            data={"location": str(location.id), "floor": "1"},
                            files={"image": ("plan.png", io.BytesIO(PNG), "image/png")}, timeout=10)
    assert created.status_code == 201, created.text
    image = requests.get(created.json()["image"].replace(host_bases[0], host_bases[1]), headers=headers, timeout=10)
    assert image.status_code == 200 and image.content == PNG


def served_by_replica(base: str) -> float:
    exposition = requests.get(f"{base}/metrics", timeout=10).text
    return value(samples(exposition), "monitoring_heavy_reads_total", served_by="replica", reason="caught up")


JOB_COUNT = 10  # the worker's jobs (monitoring/worker.py, default_jobs)


def test_two_workers_run_each_job_once(hosts, pgbouncer, primary_url):
    """The workers connect to the primary directly, as docs/scale-out.md advises: each holds
    a connection for its lock while a job runs on another."""
    _, _, directory = hosts
    env = {**os.environ, **shared_settings(pgbouncer, directory), "WORKER_TICK_SECONDS": "1",
           "RECOVERY_CHECKS_INTERVAL_SECONDS": "3600", "WEBHOOK_INTERVAL_SECONDS": "3600",
           "MAINTENANCE_INTERVAL_SECONDS": "3600",
           "DATABASE_URL": primary_url, "DB_TRANSACTION_POOLING": "0", "LOG_LEVEL": "debug"}
    logs = [directory / f"worker-{n}.log" for n in (1, 2)]
    workers = [subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                                stdout=open(log, "w"), stderr=subprocess.STDOUT) for log in logs]
    try:
        deadline = time.monotonic() + 30
        while jobs_finished(primary_url) < JOB_COUNT:
            assert time.monotonic() < deadline, "the jobs did not all run:\n" + "\n".join(
                log.read_text()[-3000:] for log in logs)
            time.sleep(0.2)
        time.sleep(2)  # two more passes of each worker: nothing is due again
    finally:
        for worker_process in workers:
            worker_process.terminate()
            worker_process.wait(timeout=30)
    runs = [message.split(":")[0] for message in worker_messages(logs)
            if message.startswith("job ") and "running elsewhere" not in message]
    assert sorted(runs) == sorted(set(runs)) and len(runs) == JOB_COUNT, runs


def worker_messages(logs: list[Path]) -> list[str]:
    """What the workers logged (at debug level: a run that found nothing to do too)."""
    lines = [json.loads(line) for log in logs for line in log.read_text().splitlines() if line.startswith("{")]
    return [line["message"] for line in lines if line.get("logger") == "monitoring.worker"]


def jobs_finished(primary_url: str) -> int:
    with closing_connection(primary_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM worker_jobs WHERE last_finished_at IS NOT NULL AND last_error IS NULL")
        return cursor.fetchone()[0]
