"""The live event stream through gunicorn as ``make run`` starts the events server: threaded
workers, several of them, each stream fed by its worker's LISTEN connection."""
from __future__ import annotations

import json
import queue
import threading

import requests

from monitoring.extensions import db
from tests.ops.conftest import SAMPLE, closing_connection

STREAMS = 6


def open_stream(url: str, headers: dict, into: queue.Queue) -> requests.Response:
    """A stream whose events (parsed, with their id) a thread puts into ``into``."""
    response = requests.get(url, headers=headers, stream=True, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")

    def read():
        fields = {}
        try:
            for line in response.iter_lines(decode_unicode=True):
                if line:
                    name, _, value = line.partition(": ")
                    fields[name] = value
                elif "data" in fields:
                    into.put(json.loads(fields["data"]))
                    fields = {}
                else:
                    fields = {}
        except (requests.RequestException, AttributeError):  # closed by the test
            pass

    threading.Thread(target=read, daemon=True).start()
    return response


def next_of(received: queue.Queue, kind: str) -> dict:
    while True:
        event = received.get(timeout=15)
        if event["type"] == kind:
            return event


def test_every_worker_streams_events_committed_anywhere_and_replays_missed_ones(start_gunicorn, make, tenants,
                                                                               database_url):
    # Open streams hold their threads: a short graceful timeout lets the server stop at once.
    server = start_gunicorn(EVENTS_STREAM="true", GUNICORN_THREADS="16", WEB_CONCURRENCY="2",
                            EVENTS_HEARTBEAT_SECONDS="1", EVENTS_RECHECK_SECONDS="1", GUNICORN_GRACEFUL_TIMEOUT="1")
    device = make.device(tenants.a)
    url = f"{server.base}/api/v1/monitoring/events/"
    streams = [(queue.Queue(), None) for _ in range(STREAMS)]
    streams = [(received, open_stream(url, tenants.headers_a, received)) for received, _ in streams]

    # A change committed by another process (here, the test's own connection) reaches all.
    with closing_connection(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE device_monitoring SET status = 'ok' WHERE device_id = %s", (device.id,))
    for received, _ in streams:
        assert next_of(received, "device_status")["device"]["id"] == str(device.id)

    # A device POST is still answered while the streams are open.
    assert requests.post(f"{server.base}/api/v1/monitoring/device/{device.id}/", params={"key": device.key},
                         json=SAMPLE, timeout=10).status_code == 200

    # A client that was away gets what it missed when it comes back with Last-Event-ID.
    received, response = streams[0]
    response.close()
    with closing_connection(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM events")
        (last,) = cursor.fetchone()
        cursor.execute("UPDATE devices SET is_deactivated = true WHERE id = %s", (device.id,))
    back: queue.Queue = queue.Queue()
    again = open_stream(url, {**tenants.headers_a, "Last-Event-ID": str(last)}, back)
    missed = next_of(back, "device_deactivated")
    assert missed["id"] > last and missed["device"]["id"] == str(device.id)
    for _, stream in [*streams[1:], (back, again)]:
        stream.close()
    db.session.remove()
