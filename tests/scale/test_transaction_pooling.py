"""The service through a real PgBouncer in transaction pooling mode (DB_TRANSACTION_POOLING):
consecutive transactions of one client run on different server connections, so nothing may
rely on what an earlier transaction left on its connection (docs/scale-out.md)."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg2.errors
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from config import database_url, engine_options
from monitoring import worker
from monitoring.database import SAMPLE_ENGINE, transaction_settings
from monitoring.extensions import db
from monitoring.services.checks import runs
from tests.charts.support import sample_document
from tests.checks.support import add_check
from tests.ops.conftest import closing_connection, stored_points
from tests.scale.conftest import pooled_app

STATEMENT_TIMEOUT_MS = 1234


@pytest.fixture(scope="module")
def pooled(pgbouncer):
    return pooled_app(pgbouncer.primary_url, DB_STATEMENT_TIMEOUT_MS=STATEMENT_TIMEOUT_MS)


def test_the_statement_timeout_as_a_startup_parameter_is_refused(pgbouncer):
    """Why the setting exists: PgBouncer refuses the ``options`` startup parameter."""
    engine = create_engine(database_url(pgbouncer.primary_url), **engine_options(transaction_pooling=False))
    with pytest.raises(OperationalError, match="unsupported startup parameter"):
        engine.connect()
    engine.dispose()


def test_device_posts_from_many_clients_at_once(pooled, primary_url, make, org):
    """Each pooled client connection runs the device POST's per-sample reads and writes; with
    prepared statements, a transaction landing on a server connection that never saw the
    PREPARE would fail."""
    devices = [(device.id, device.key) for device in (make.device(org) for _ in range(4))]
    samples_per_device = 8
    failures = []

    def device_posting(device_id, key):
        client = pooled.test_client()
        for n in range(samples_per_device):
            try:
                response = client.post(f"/api/v1/monitoring/device/{device_id}/?key={key}",
                                       json=sample_document(eth0=(1000 * n, 2000 * n)))
            except Exception as error:  # the test app lets errors through: what a 500 would be
                failures.append(repr(error))
                continue
            if response.status_code != 200:
                failures.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=device_posting, args=device) for device in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    # Nothing prepared: the writes travel as plain statements through the pooler.
    engine = pooled.extensions[SAMPLE_ENGINE]  # the device POST's engine
    pooled_connections = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
    try:
        assert pooled_connections
        assert all("prepared_statements" not in connection.info for connection in pooled_connections)
    finally:
        for connection in pooled_connections:
            connection.close()
    manager = make.headers(make.user(manages=[org]))
    for device_id, _ in devices:
        assert len(stored_points(primary_url, device_id)) == samples_per_device
        response = pooled.test_client().get(f"/api/v1/monitoring/device/{device_id}/", headers=manager)
        assert response.status_code == 200


def test_the_statement_timeout_holds_in_every_transaction(pooled):
    with pooled.app_context():
        for _ in range(3):  # each transaction, wherever the pooler runs it
            assert db.session.execute(text("SHOW statement_timeout")).scalar() == f"{STATEMENT_TIMEOUT_MS}ms"
            db.session.commit()
        # The device POST's bare DB-API connection: the settings go with its first statement.
        connection = db.engine.raw_connection()
        try:
            with connection.cursor() as cursor:
                cursor.execute(transaction_settings(connection.info) + "SHOW statement_timeout")
                assert cursor.fetchone()[0] == f"{STATEMENT_TIMEOUT_MS}ms"
        finally:
            connection.close()


def test_the_checks_job_is_bound_by_the_statement_timeout(pooled, primary_url, make, org):
    """The checks job records its results on a bare DB-API connection: through the pooler
    each of its transactions sets the timeout itself. With the device's status row locked
    elsewhere, the run's write is cancelled after the timeout instead of waiting for the lock."""
    device = make.device(org)
    add_check(device, "data_collected")
    with closing_connection(primary_url, autocommit=False) as holder, holder.cursor() as cursor:
        # Without the timeout the run would wait for this lock: the server ends the holding
        # session after 10 s, so the run then succeeds and the test fails instead of hanging.
        cursor.execute("SET idle_in_transaction_session_timeout = '10s'")
        cursor.execute("SELECT 1 FROM device_monitoring WHERE device_id = %s FOR UPDATE", (device.id,))
        started = time.monotonic()
        with pooled.app_context(), pytest.raises(psycopg2.errors.QueryCanceled, match="statement timeout"):
            runs.run_checks()
        waited = time.monotonic() - started
    assert STATEMENT_TIMEOUT_MS / 1000 <= waited < 8


def test_a_job_runs_once_at_a_time_and_its_lock_is_released(pooled, pgbouncer):
    """Two workers through the pooler: one runs the job, the other finds it running; once
    done, the lock is free for either of them."""
    other_worker = pooled_app(pgbouncer.primary_url)
    runs = []
    both_started = threading.Barrier(2)

    def slow_job():
        runs.append(threading.get_ident())
        time.sleep(0.5)
        return "done"

    job = worker.Job("pooled-probe", timedelta(0), slow_job)  # always due: only the lock says no
    ran = []

    def one_worker(flask_app):
        both_started.wait()
        ran.append(worker.run_due(flask_app, [job]))

    threads = [threading.Thread(target=one_worker, args=(flask_app,)) for flask_app in (pooled, other_worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ran) == [[], ["pooled-probe"]] and len(runs) == 1
    for flask_app in (pooled, other_worker, pooled, other_worker):
        assert worker.run_due(flask_app, [job]) == ["pooled-probe"]
