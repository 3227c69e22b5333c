"""Webhook delivery from the outbox, against an HTTP server on 127.0.0.1: one POST per
notification event, retries with back-off, and ingestion never waiting for a webhook."""
from __future__ import annotations

import copy
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import NotificationWebhook, WebhookDelivery, utcnow
from monitoring.services import webhooks
from tests.blueprints.test_device_data import RESOURCES, post, sample

POLICY = webhooks.Policy(timeout=2, max_attempts=3, retry_base=timedelta(seconds=30),
                         retry_max=timedelta(minutes=10))


class Receiver:
    """A local HTTP server answering the statuses it is given, in turn (then 200)."""

    def __init__(self):
        self.requests: list[tuple[dict, dict]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), json.loads(body)))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def org(make):
    return make.org()


def hook(org, url):
    db.session.add(NotificationWebhook(organization_id=org.id, url=url))
    db.session.commit()


def disk_problem(client, device):
    full = copy.deepcopy(RESOURCES)
    full["disk"][0]["used_bytes"] = 29000
    return post(client, device, sample(resources=full))


def deliveries():
    db.session.expire_all()
    return db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created)).all()


def test_each_event_is_posted_once_whatever_the_recipients(client, make, org, receiver):
    make.user(manages=[org]), make.user(manages=[org]), make.user(superuser=True)
    unhooked = make.org()
    hook(org, receiver.url)
    device = make.device(org)
    assert disk_problem(client, device).status_code == 200
    assert disk_problem(client, make.device(unhooked)).status_code == 200  # no webhook: nothing queued
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200  # recovery
    assert len(deliveries()) == 2
    summary = webhooks.deliver_due(policy=POLICY)
    assert (summary.delivered, summary.retrying, summary.given_up) == (2, 0, 0)
    bodies = [body for _, body in receiver.requests]
    assert [b["type"] for b in bodies] == ["disk_problem", "disk_recovery"]
    headers, problem = receiver.requests[0]
    assert headers["Content-Type"] == "application/json" and headers["X-Delivery-Id"] == problem["id"]
    assert problem["level"] == "warning" and problem["organization"] == str(org.id)
    assert problem["device"] == {"id": str(device.id), "name": device.name}
    assert problem["message"].startswith(f"The device [{device.name}]")
    assert problem["timestamp"].endswith("Z")
    assert all(d.delivered_at is not None and d.next_attempt_at is None and d.attempts == 1 for d in deliveries())
    assert webhooks.deliver_due(policy=POLICY).delivered == 0  # nothing twice


def test_failures_are_retried_with_back_off_then_given_up(client, make, org, receiver):
    make.user(superuser=True)
    hook(org, receiver.url)
    receiver.statuses = [500, 503, 500]
    assert disk_problem(client, make.device(org)).status_code == 200
    start = utcnow()
    assert webhooks.deliver_due(policy=POLICY, now=start).retrying == 1
    [delivery] = deliveries()
    assert delivery.attempts == 1 and delivery.last_error == "HTTP 500"
    assert timedelta(seconds=29) < delivery.next_attempt_at - start < timedelta(seconds=40)
    assert webhooks.deliver_due(policy=POLICY, now=start + timedelta(seconds=10)).retrying == 0  # not yet due
    assert webhooks.deliver_due(policy=POLICY, now=start + timedelta(seconds=31)).retrying == 1
    [delivery] = deliveries()
    assert delivery.attempts == 2 and delivery.last_error == "HTTP 503"
    assert delivery.next_attempt_at - utcnow() > timedelta(seconds=55)  # doubled: 60 s
    summary = webhooks.deliver_due(policy=POLICY, now=start + timedelta(minutes=5))
    assert summary.given_up == 1  # third failure: max_attempts reached
    [delivery] = deliveries()
    assert delivery.next_attempt_at is None and delivery.delivered_at is None
    assert len(receiver.requests) == 3


def test_a_retry_succeeds(client, make, org, receiver):
    make.user(superuser=True)
    hook(org, receiver.url)
    receiver.statuses = [502]
    assert disk_problem(client, make.device(org)).status_code == 200
    start = utcnow()
    webhooks.deliver_due(policy=POLICY, now=start)
    assert webhooks.deliver_due(policy=POLICY, now=start + timedelta(minutes=1)).delivered == 1
    [delivery] = deliveries()
    assert delivery.attempts == 2 and delivery.last_error is None and delivery.delivered_at is not None
    assert len(receiver.requests) == 2


def test_an_unreachable_webhook_never_slows_ingestion(client, make, org):
    make.user(superuser=True)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook(org, f"http://127.0.0.1:{port}/hook")
    device = make.device(org)
    started = time.perf_counter()
    assert disk_problem(client, device).status_code == 200
    assert time.perf_counter() - started < 1
    summary = webhooks.deliver_due(policy=POLICY)
    assert summary.retrying == 1
    [delivery] = deliveries()
    assert "ConnectionRefusedError" in delivery.last_error or "Connection refused" in delivery.last_error


def test_a_removed_webhook_gives_up_its_deliveries(client, make, org, receiver):
    make.user(superuser=True)
    hook(org, receiver.url)
    assert disk_problem(client, make.device(org)).status_code == 200
    db.session.delete(db.session.get(NotificationWebhook, org.id))
    db.session.commit()
    assert webhooks.deliver_due(policy=POLICY).given_up == 1
    assert receiver.requests == []
    assert webhooks.prune(older_than=timedelta(0), now=utcnow() + timedelta(seconds=1)) == 1
