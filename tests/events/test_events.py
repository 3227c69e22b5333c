"""The live event stream: what it carries, to whom, after commit only, replay with
Last-Event-ID, and its end when the credentials do (docs/events.md)."""
from __future__ import annotations

import json
import queue
import threading
import time

import pytest
from sqlalchemy import text, update

from monitoring.extensions import db
from monitoring.models import ApiToken, DeviceMonitoring, Metric, Notification, utcnow
from monitoring.services.events import stream as stream_module

URL = "/api/v1/monitoring/events/"


@pytest.fixture(autouse=True)
def streams_served_here(app, monkeypatch):
    monkeypatch.setitem(app.config, "EVENTS_STREAM", True)
    monkeypatch.setitem(app.config, "EVENTS_HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setitem(app.config, "EVENTS_RECHECK_SECONDS", 0.3)


class Stream:
    """An open stream, read in a thread of its own as a server would serve it (a suspended
    stream keeps its request's context pushed on the thread that reads it)."""

    def __init__(self, app, headers):
        self.chunks: queue.Queue = queue.Queue()
        self.closing = threading.Event()
        self.answer: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(app, headers), daemon=True).start()
        status, mimetype = self.answer.get(timeout=10)
        assert (status, mimetype) == (200, "text/event-stream")
        assert self.chunks.get(timeout=10).startswith("retry: ")  # subscribed from here on

    def _read(self, app, headers):
        response = app.test_client().get(URL, headers=headers, buffered=False)
        self.answer.put((response.status_code, response.mimetype))
        try:
            for chunk in response.response:
                self.chunks.put(chunk.decode())
                if self.closing.is_set():
                    break
        finally:
            response.close()
            self.chunks.put(None)  # the stream ended

    def events(self, *, until=lambda events: False, seconds: float = 5.0) -> list[dict]:
        """The events read until ``until(events)`` holds or ``seconds`` have passed."""
        found: list[dict] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until(found):
            chunk = self.chunks.get(timeout=5)
            assert chunk is not None, "the stream ended"
            if chunk.startswith("id: "):
                fields = dict(line.split(": ", 1) for line in chunk.strip().splitlines())
                event = json.loads(fields["data"])
                assert (str(event["id"]), event["type"]) == (fields["id"], fields["event"])
                found.append(event)
        return found

    def ended_within(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self.chunks.get(timeout=0.05) is None:
                    return True
            except queue.Empty:
                pass
        return False

    def close(self):
        self.closing.set()


def set_status(device, status):
    db.session.execute(update(DeviceMonitoring).where(DeviceMonitoring.device_id == device.id)
                       .values(status=status))


def of_type(kind):
    return lambda events: any(event["type"] == kind for event in events)


def test_a_status_change_reaches_the_managers_of_its_organization_only(app, client, make, tenants, app_context):
    mine, theirs = make.device(tenants.a), make.device(tenants.b)
    db.session.add(Metric(device_id=mine.id, configuration="cpu", name="CPU usage", key="cpu",
                          field_name="cpu_usage", is_healthy=False))
    db.session.commit()
    stream_a, stream_b, stream_super = (Stream(app, h) for h in (tenants.headers_a, tenants.headers_b,
                                                                    tenants.headers_super))
    set_status(theirs, "ok")
    set_status(mine, "problem")
    db.session.commit()
    [event] = stream_a.events(until=of_type("device_status"))
    assert event["device"] == {"id": str(mine.id), "name": mine.name}
    assert (event["status"], event["previous_status"], event["reasons"]) == ("problem", "unknown", ["CPU usage"])
    assert event["organization"] == str(tenants.a.id)
    seen_by_b = stream_b.events(until=of_type("device_status"))
    assert [e["device"]["id"] for e in seen_by_b] == [str(theirs.id)]
    seen_by_super = stream_super.events(until=lambda events: len(events) == 2)
    assert {e["device"]["id"] for e in seen_by_super} == {str(mine.id), str(theirs.id)}
    for stream in (stream_a, stream_b, stream_super):
        stream.close()


def test_an_event_is_sent_only_once_its_transaction_commits(app, client, make, tenants, app_context):
    device = make.device(tenants.a)
    stream = Stream(app, tenants.headers_a)
    set_status(device, "critical")
    db.session.flush()
    assert stream.events(seconds=0.6) == []  # heartbeats only
    db.session.commit()
    assert [e["status"] for e in stream.events(until=of_type("device_status"))] == ["critical"]
    stream.close()


def test_notifications_and_devices_created_deactivated_activated(app, client, make, tenants, app_context):
    stream = Stream(app, tenants.headers_a)
    created = client.post("/api/v1/controller/device/", headers=tenants.headers_a, json={
        "name": "ap-new", "mac_address": "00:11:22:aa:bb:01", "organization": str(tenants.a.id)}).get_json()
    for action in ("deactivate", "activate"):
        assert client.post(f"/api/v1/controller/device/{created['id']}/{action}/",
                           headers=tenants.headers_a).status_code == 200
    # One notification written for two recipients is one event.
    for recipient in (make.user(manages=[tenants.a]), make.user(superuser=True)):
        db.session.add(Notification(recipient_id=recipient.id, organization_id=tenants.a.id,
                                    device_id=created["id"], type="ping_problem", level="warning",
                                    message="The device is not reachable.", timestamp=utcnow().replace(microsecond=0)))
    db.session.commit()
    events = stream.events(until=of_type("notification"))
    assert [e["type"] for e in events if e["type"] != "device_status"] == [
        "device_created", "device_deactivated", "device_activated", "notification"]
    assert events[-1]["notification"] | {"metric": None, "timestamp": None} == {
        "type": "ping_problem", "level": "warning", "message": "The device is not reachable.", "metric": None,
        "timestamp": None}
    assert events[-1]["device"] == {"id": created["id"], "name": "ap-new"}
    assert stream.events(seconds=0.5) == []
    stream.close()


def test_reconnecting_with_last_event_id_sends_what_was_missed_then_live_events(app, client, make, tenants,
                                                                               app_context):
    first, second, theirs = make.device(tenants.a), make.device(tenants.a), make.device(tenants.b)
    ids = db.session.execute(text("SELECT id FROM events ORDER BY id")).scalars().all()
    assert len(ids) == 3  # the three devices created
    headers = {**tenants.headers_a, "Last-Event-ID": str(ids[0])}
    stream = Stream(app, headers)
    missed = stream.events(until=lambda events: len(events) == 1)
    assert [e["device"]["id"] for e in missed] == [str(second.id)]
    set_status(first, "ok")
    db.session.commit()
    assert [e["device"]["id"] for e in stream.events(until=of_type("device_status"))] == [str(first.id)]
    stream.close()
    assert theirs  # created, never sent to this manager


def test_a_revoked_token_ends_its_stream_within_the_recheck_interval(app, client, make, tenants, app_context):
    user = make.user(manages=[tenants.a])
    headers = make.headers(user)
    stream = Stream(app, headers)
    db.session.execute(text("DELETE FROM api_tokens WHERE user_id = :u"), {"u": user.id})
    db.session.commit()
    assert stream.ended_within(2)
    assert db.session.query(ApiToken).filter_by(user_id=user.id).count() == 0


def test_refusals(client, make, tenants, app):
    assert client.get(URL).status_code == 401
    member = make.user(member_of=[tenants.a])
    assert client.get(URL, headers=make.headers(member)).status_code == 403
    answer = client.get(URL, headers={**tenants.headers_a, "Last-Event-ID": "x1"})
    assert answer.status_code == 400 and answer.get_json() == {"Last-Event-ID": ["A valid integer is required."]}
    app.config["EVENTS_STREAM"] = False
    answer = client.get(URL, headers=tenants.headers_a)
    assert answer.status_code == 503 and "events server" in answer.get_json()["detail"]


def test_old_events_are_pruned_and_no_longer_replayed(app, make, tenants, app_context):
    kept, old = make.device(tenants.a), make.device(tenants.a)
    db.session.execute(text("UPDATE events SET created = now() - interval '2 hours' WHERE data->'device'->>'id' = :d"),
                       {"d": str(old.id)})
    db.session.commit()
    assert stream_module.prune(seconds=3600) == 1
    remaining = db.session.execute(text("SELECT data->'device'->>'id' FROM events")).scalars().all()
    assert remaining == [str(kept.id)]
    stream = Stream(app, {**tenants.headers_a, "Last-Event-ID": "0"})
    assert [e["device"]["id"] for e in stream.events(until=lambda events: len(events) == 1)] == [str(kept.id)]
    assert stream.events(seconds=0.5) == []
    stream.close()


def test_pages_of_an_allowed_origin_may_read_the_stream_with_their_cookie(app, make, tenants, monkeypatch):
    monkeypatch.setitem(app.config, "EVENTS_ALLOWED_ORIGINS", frozenset({"http://127.0.0.1:8000"}))
    client = app.test_client()
    allowed = client.get(URL, headers={**tenants.headers_a, "Origin": "http://127.0.0.1:8000"}, buffered=False)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true" and allowed.headers["Vary"] == "Origin"
    allowed.close()
    for origin in ("http://evil.example", "http://127.0.0.1:8000.evil.example", None):
        other = client.get(URL, headers={**tenants.headers_a, **({"Origin": origin} if origin else {})},
                           buffered=False)
        assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
        assert "Access-Control-Allow-Credentials" not in other.headers
        other.close()
