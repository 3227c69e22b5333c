"""Heavy reads on a real streaming replica (DATABASE_REPLICA_URLS): served there, exact all
the same (a read after a write sees it, whoever wrote it), and a replica that is stopped,
paused or no standby at all is passed over for the primary, never an error."""
from __future__ import annotations

import logging
import time

import pytest

from tests.charts.support import post_sample, sample_document
from tests.scale.conftest import heavy_reads, replica_app

DEVICE_LIST = "/api/v1/monitoring/device/"


@pytest.fixture(scope="module")
def reading_app(replica):
    # Retried at once after a failure: the stopped replica's test starts it again.
    return replica_app(replica.url, REPLICA_RETRY_SECONDS=0)


@pytest.fixture
def reader(reading_app):
    return reading_app.test_client()


@pytest.fixture
def manager_headers(make, org):
    return make.headers(make.user(manages=[org]))


def metric_names(reader, device, headers) -> list[str]:
    response = reader.get(f"/api/v1/monitoring/device/{device.id}/metric/", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(metric["name"] for metric in response.get_json())


def table_scans_on(replica, table: str) -> int:
    return replica.query(f"SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                         f"WHERE relname = '{table}'")


def test_heavy_reads_are_counted_on_the_replica(reading_app, reader, replica, primary_url, make, org,
                                                manager_headers):
    make.device(org)
    replica.caught_up(primary_url)
    scans_before = table_scans_on(replica, "devices")
    served_before = heavy_reads("replica", "caught up")

    response = reader.get(DEVICE_LIST, headers=manager_headers)

    assert response.status_code == 200 and response.get_json()["count"] == 1
    assert heavy_reads("replica", "caught up") == served_before + 1
    # A server process reports its table statistics when it ends, at the latest.
    for replica_engine in reading_app.extensions["replicas"].replicas:
        replica_engine.engine.dispose()
    deadline = time.monotonic() + 5
    while table_scans_on(replica, "devices") == scans_before:
        assert time.monotonic() < deadline, "the replica did not scan the devices table"
        time.sleep(0.05)


def test_a_read_after_a_device_post_sees_it(client, reader, make, org, manager_headers):
    devices = [make.device(org) for _ in range(10)]
    served_before = heavy_reads("replica", "caught up")
    for device in devices:
        post_sample(client, device, sample_document(eth0=(1000, 2000)))
        # Another principal, right after the device's answer: the metrics its sample made.
        assert "eth0 traffic" in " ".join(metric_names(reader, device, manager_headers))
    assert heavy_reads("replica", "caught up") > served_before


def test_a_paused_replica_is_passed_over(client, reader, replica, make, org, manager_headers):
    device = make.device(org)
    replica.query("SELECT pg_wal_replay_pause()::text")
    try:
        passed_over = heavy_reads("primary", "replay paused")
        post_sample(client, device, sample_document(eth0=(1000, 2000)))
        assert metric_names(reader, device, manager_headers) != []
        assert heavy_reads("primary", "replay paused") == passed_over + 1
    finally:
        replica.query("SELECT pg_wal_replay_resume()::text")


def test_a_stopped_replica_is_passed_over_and_used_again(reader, replica, primary_url, make, org, manager_headers,
                                                         caplog):
    make.device(org)
    replica.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="monitoring.replicas"):
            response = reader.get(DEVICE_LIST, headers=manager_headers)
        assert response.status_code == 200 and response.get_json()["count"] == 1
        assert "reads go elsewhere" in caplog.text
    finally:
        replica.start()
    replica.caught_up(primary_url)
    served_before = heavy_reads("replica", "caught up")
    response = reader.get(DEVICE_LIST, headers=manager_headers)
    assert response.status_code == 200 and response.get_json()["count"] == 1
    assert heavy_reads("replica", "caught up") == served_before + 1


def test_a_server_that_is_no_standby_is_passed_over(primary_url, make, org, manager_headers):
    """A replica that was promoted takes writes of its own: its reads are not the primary's."""
    make.device(org)
    promoted_reader = replica_app(primary_url).test_client()
    passed_over = heavy_reads("primary", "not a standby")
    response = promoted_reader.get(DEVICE_LIST, headers=manager_headers)
    assert response.status_code == 200 and response.get_json()["count"] == 1
    assert heavy_reads("primary", "not a standby") == passed_over + 1
