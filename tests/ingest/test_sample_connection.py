"""The device POST's own connections (``database.init_sample_engine``): a sample costs two
round trips, and a pooled connection the database dropped is replaced without the device
seeing an error (the pool does not test connections before handing them out)."""
from __future__ import annotations

import time

import psycopg2.extensions
from sqlalchemy import text

from monitoring.database import SAMPLE_ENGINE
from monitoring.extensions import db
from tests.ingest.test_device_samples import RESOURCES, count, interface, post, sample


class CountingCursor(psycopg2.extensions.cursor):
    """Records what each ``execute`` sends: one round trip each."""

    sent: list[str] = []

    def execute(self, query, vars=None):
        CountingCursor.sent.append(query if isinstance(query, str) else query.decode())
        return super().execute(query, vars)


def one_pooled_connection(app):
    """The sample engine's pool emptied, then holding one new connection, which every
    sample of the test then takes (a test client sends one request at a time)."""
    engine = app.extensions[SAMPLE_ENGINE]
    engine.dispose()
    raw = engine.raw_connection()
    try:
        return raw.dbapi_connection
    finally:
        raw.close()


def document(rx):
    return sample(interface("eth0", rx=rx, tx=rx), resources=RESOURCES)


def test_a_sample_costs_two_round_trips(app, client, device):
    connection = one_pooled_connection(app)
    connection.cursor_factory = CountingCursor
    try:
        assert post(client, device, document(100)).status_code == 200  # creates the metrics, prepares
        CountingCursor.sent.clear()
        assert post(client, device, document(200)).status_code == 200
        sent = list(CountingCursor.sent)
    finally:
        connection.cursor_factory = psycopg2.extensions.cursor
    assert len(sent) == 2, sent
    assert sent[0].startswith("BEGIN; EXECUTE begin_sample")
    assert "store_sample_writes" in sent[1] and sent[1].endswith("COMMIT")
    assert count("cpu_points", device) == 2


def test_a_connection_the_database_dropped_is_replaced(app, client, device, app_context):
    connection = one_pooled_connection(app)
    assert post(client, device, document(100)).status_code == 200
    pid = connection.get_backend_pid()
    db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    db.session.commit()
    deadline = time.monotonic() + 5
    while db.session.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert post(client, device, document(200)).status_code == 200
    assert connection.closed  # the sample went through another connection
    assert count("cpu_points", device) == 2
    assert count("traffic_points", device) == 2
