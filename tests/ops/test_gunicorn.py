"""Metrics and logs through a real gunicorn with two workers, as ``make run`` serves."""
from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.ops.conftest import SAMPLE
from tests.ops.metrics_support import samples, value

pytestmark = pytest.mark.e2e


def _pids_serving(server, endpoint: str) -> set[int]:
    return {line["pid"] for line in server.request_lines() if line["endpoint"] == endpoint}


def _worker_pids(server) -> set[int]:
    children = open(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read().split()
    return {int(pid) for pid in children}


def test_metrics_add_up_across_workers_and_survive_a_worker_death(start_gunicorn, make, tmp_path):
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left over by a previous run")
    server = start_gunicorn(PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), METRICS_TOKEN="scrape-token")
    assert not (metrics_dir / "counter_999999.db").exists()
    org = make.org()
    device = make.device(org)

    # Concurrent requests until both workers have answered some (the log line names the pid).
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(_pids_serving(server, "/readyz")) < 2 and sent < 400:
            statuses = list(pool.map(lambda _: requests.get(f"{server.base}/readyz", timeout=10).status_code,
                                     range(20)))
            assert statuses == [200] * 20
            sent += 20
    assert len(_pids_serving(server, "/readyz")) == 2

    url = f"{server.base}/api/v1/monitoring/device/{device.id}/"
    assert requests.post(url, params={"key": device.key}, json=SAMPLE, timeout=10).status_code == 200
    assert requests.post(url, params={"key": "wrong"}, json=SAMPLE, timeout=10).status_code == 403

    def check_counts():
        # Whichever worker answers the scrape, it reports the sum over both.
        for _ in range(4):
            exposition = samples(requests.get(f"{server.base}/metrics", timeout=10,
                                              headers={"Authorization": "Bearer scrape-token"}).text)
            assert value(exposition, "monitoring_http_requests_total",
                         method="GET", endpoint="/readyz", status="200") == sent
            assert value(exposition, "monitoring_http_request_duration_seconds_count",
                         method="GET", endpoint="/readyz", status="200") == sent
            assert value(exposition, "monitoring_device_samples_total", result="accepted", status="200") == 1
            assert value(exposition, "monitoring_device_samples_total", result="rejected", status="403") == 1
            # The accepted sample made the device's status known.
            devices = {status: value(exposition, "monitoring_devices", organization_id=str(org.id),
                                     organization=org.slug, status=status)
                       for status in ("unknown", "ok", "problem", "critical", "deactivated")}
            assert sum(devices.values()) == 1 and devices["unknown"] == 0

    check_counts()

    # A worker dies: gunicorn replaces it, and what it counted is still counted.
    workers = _worker_pids(server)
    victim = next(iter(workers))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while not (len(_worker_pids(server)) == 2 and victim not in _worker_pids(server)):
        assert time.monotonic() < deadline, "gunicorn did not replace the worker"
        time.sleep(0.1)
    check_counts()


def test_log_lines_are_json_with_the_fields_and_no_secrets(start_gunicorn, make):
    server = start_gunicorn(GUNICORN_ACCESSLOG="-")
    device = make.device(make.org())
    make.user(username="carol", password="carol-Secret-pw1", superuser=True)

    token = requests.post(f"{server.base}/api/v1/users/token/",
                          json={"username": "carol", "password": "carol-Secret-pw1"}, timeout=10).json()["token"]
    listing = requests.get(f"{server.base}/api/v1/controller/device/", timeout=10,
                           headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-0042"},
                           cookies={"session": "cookie-Secret-value"})
    assert listing.status_code == 200 and listing.headers["X-Request-ID"] == "trace-0042"
    posted = requests.post(f"{server.base}/api/v1/monitoring/device/{device.id}/?key={device.key}",
                           json=SAMPLE, timeout=10)
    assert posted.status_code == 200

    def access_lines():
        return [line for line in server.json_lines() if line["logger"] == "gunicorn.access"]

    # gunicorn writes its access line once the answer is sent: give it a moment.
    posted_line = f'"POST /api/v1/monitoring/device/{device.id}/ HTTP/1.1" 200'
    deadline = time.monotonic() + 10
    while not any(posted_line in line["message"] for line in access_lines()):
        assert time.monotonic() < deadline, "no access log line for the device POST"
        time.sleep(0.05)
    text = server.log_text()
    for secret in (device.key, token, "carol-Secret-pw1", "cookie-Secret-value"):
        assert secret not in text
    lines = server.json_lines()  # every line, gunicorn's own included, is JSON
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    assert len(access_lines()) >= 3  # the token, the list and the sample, at least

    by_path = {line["path"]: line for line in server.request_lines()}
    listed = by_path["/api/v1/controller/device/"]
    assert listed["request_id"] == "trace-0042"
    assert listed["method"] == "GET" and listed["status"] == 200 and listed["duration_ms"] > 0
    sample_line = by_path[f"/api/v1/monitoring/device/{device.id}/"]
    assert sample_line["device_id"] == str(device.id)
    assert sample_line["query"] == "key=[redacted]"
    assert sample_line["request_id"] == posted.headers["X-Request-ID"]
    for line in (listed, sample_line):
        assert {"time", "level", "pid", "endpoint", "remote_addr"} <= line.keys()


def test_device_posts_the_layer_in_front_of_flask_hands_on_are_answered_by_flask(start_gunicorn, make):
    """Through gunicorn's own request bodies: a chunked upload (no Content-Length), which
    Flask reads whole, and a refused sample, whose refusal Flask answers
    (blueprints/device_data_fast_path.py)."""
    server = start_gunicorn()
    device = make.device(make.org())
    url = f"{server.base}/api/v1/monitoring/device/{device.id}/"
    body = json.dumps(SAMPLE).encode()

    def chunks():  # a generator body: requests sends it with Transfer-Encoding: chunked
        yield body[:100]
        yield body[100:]

    chunked = requests.post(url, params={"key": device.key, "time": "01-05-2024_10:00:00.000000"}, data=chunks(),
                            headers={"Content-Type": "application/json"}, timeout=10)
    assert chunked.status_code == 200, chunked.text
    refused = requests.post(url, params={"key": device.key}, timeout=10,
                            json={"type": "DeviceMonitoring", "interfaces": "eth0"})
    assert refused.status_code == 400 and "interfaces" in refused.text
    accepted = requests.post(url, params={"key": device.key}, json=SAMPLE, timeout=10)
    assert accepted.status_code == 200
    path = f"/api/v1/monitoring/device/{device.id}/"
    assert [line["status"] for line in server.request_lines() if line["path"] == path] == [200, 400, 200]
