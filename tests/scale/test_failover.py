"""Failover on real servers: the primary crashes, its synchronous standby is promoted, and
an app whose DATABASE_URL lists both answers 503 meanwhile, then finds the new primary by
itself, with every sample it acknowledged (docs/scale-out.md, Failover)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from config import TestConfig, database_url
from monitoring import create_app
from monitoring.extensions import db
from tests.charts.support import sample_document
from tests.ops.conftest import ROOT, Cluster, stored_points
from tests.scale.conftest import Replica, cluster_root, free_port, set_primary

SAMPLES = 5


@pytest.fixture
def standby(primary_url):
    """A synchronous standby of the test cluster: a commit that waits for it is on it."""
    root, port = cluster_root()
    name = f"standby_{free_port()}"  # a plain identifier, as synchronous_standby_names takes it
    server = Replica(str(root / name), free_port(), port, primary_url.rsplit("/", 1)[1])
    server.start()
    set_primary(primary_url, "synchronous_standby_names", f"'{name}'")
    yield server
    set_primary(primary_url, "synchronous_standby_names", "DEFAULT")
    server.stop()
    shutil.rmtree(server.data_dir)


@pytest.fixture
def primary_cluster(primary_url) -> Cluster:
    return Cluster(os.environ["TEST_DB_DATA_DIR"], str(cluster_root()[1]), primary_url.rsplit("/", 1)[1])


def db_sh(*args: str) -> None:
    subprocess.run(["bash", "scripts/db.sh", *args], cwd=ROOT, check=True, timeout=120, capture_output=True)


def test_a_promoted_standby_is_found_and_no_acknowledged_sample_is_lost(standby, primary_cluster, primary_url,
                                                                         make, org):
    device = make.device(org)
    device_id, post = device.id, f"/api/v1/monitoring/device/{device.id}/?key={device.key}"
    db.session.remove()  # the fixtures' own connection goes back to its pool before the crash
    both = (f"postgresql://postgres@127.0.0.1:{primary_cluster.port},127.0.0.1:{standby.port}/"
            f"{standby.name}?target_session_attrs=read-write")
    # The test cluster commits asynchronously; this service's sessions commit synchronously,
    # which with synchronous_standby_names set waits for the standby.
    config = type("FailoverTestConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url(both),
        "SQLALCHEMY_ENGINE_OPTIONS": {**TestConfig.SQLALCHEMY_ENGINE_OPTIONS, "connect_args": {
            **TestConfig.SQLALCHEMY_ENGINE_OPTIONS["connect_args"], "options": "-c synchronous_commit=on"}}})
    client = create_app(config).test_client()
    for n in range(SAMPLES):
        assert client.post(post, json=sample_document(eth0=(1000 * n, 2000 * n))).status_code == 200

    db_sh("stop", primary_cluster.data_dir, "immediate")  # lost, as in a crash
    try:
        response = client.post(post, json=sample_document(eth0=(9000, 9000)))
        assert response.status_code == 503 and response.headers["Retry-After"]
        db_sh("promote", standby.data_dir)
        response = client.post(post, json=sample_document(eth0=(10_000, 10_000)))
        assert response.status_code == 200
    finally:
        primary_cluster.start()
    # Everything acknowledged, before and after the promotion, is on the new primary.
    assert len(stored_points(standby.url, device_id)) == SAMPLES + 1
