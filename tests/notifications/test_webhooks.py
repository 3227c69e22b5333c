"""Webhook delivery from the outbox, against an HTTP server on 127.0.0.1: one POST per
notification event, retries with back-off, ingestion never waiting for a webhook, redirects
not followed, and every delivery signed (with the receiver's check of docs/operations.md)."""
from __future__ import annotations

import copy
import hashlib
import hmac
import re
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest

from monitoring.extensions import db
from monitoring.models import NotificationWebhook, utcnow
from monitoring.services.notifications import webhooks
from tests.ingest.test_device_samples import RESOURCES, post, sample
from tests.notifications.support import POLICY, Receiver, deliveries, hook, queue, redirect_to


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def disk_problem(client, device):
    full = copy.deepcopy(RESOURCES)
    full["disk"][0]["used_bytes"] = 29000
    return post(client, device, sample(resources=full))


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
    bodies = [request.json() for request in receiver.requests]
    assert [b["type"] for b in bodies] == ["disk_problem", "disk_recovery"]
    headers, problem = receiver.requests[0].headers, bodies[0]
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


# --- redirects -------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_delivery_and_is_not_followed(make, org, status):
    elsewhere = Receiver()
    redirecting = Receiver(redirect_to(elsewhere.url, status))
    try:
        hook(org, redirecting.url)
        [queued] = queue(org)
        start = utcnow()
        summary = webhooks.deliver_due(policy=POLICY, now=start)
        assert (summary.delivered, summary.retrying) == (0, 1)
        [delivery] = deliveries()
        assert delivery.delivered_at is None and delivery.attempts == 1
        assert delivery.last_error == f"HTTP {status}: redirects are not followed (Location: {elsewhere.url})"
        assert delivery.next_attempt_at - start > timedelta(seconds=29)
        # Retried like any failure, then given up; the redirect target never hears of it.
        webhooks.deliver_due(policy=POLICY, now=start + timedelta(minutes=1))
        assert webhooks.deliver_due(policy=POLICY, now=start + timedelta(minutes=5)).given_up == 1
        [delivery] = deliveries()
        assert delivery.next_attempt_at is None and delivery.delivered_at is None and delivery.attempts == 3
        assert delivery.last_error.startswith(f"HTTP {status}: redirects are not followed")
        assert len(redirecting.requests) == 3 and elsewhere.requests == []
        assert redirecting.requests[0].json()["id"] == str(queued.id)
    finally:
        elsewhere.close()
        redirecting.close()


def test_a_redirect_to_garbage_is_recorded_readably(make, org):
    """The Location header is the receiver's text: control characters (NUL, which no text
    column takes) are replaced, and it is cut short."""
    redirecting = Receiver(redirect_to("http://x/\x00\x1b[2J" + "a" * 1000))
    try:
        hook(org, redirecting.url)
        queue(org)
        assert webhooks.deliver_due(policy=POLICY).retrying == 1
        error = deliveries()[0].last_error
        assert error.startswith("HTTP 302: redirects are not followed (Location: http://x/??[2Jaaa")
        assert len(error) < 600
    finally:
        redirecting.close()


# --- signatures --------------------------------------------------------------------------------

def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def test_every_delivery_is_signed_with_the_organizations_secret(make, org, receiver):
    other = make.org()
    webhook, other_webhook = hook(org, receiver.url), hook(other, receiver.url)
    assert re.fullmatch(r"[0-9a-f]{64}", webhook.secret) and webhook.secret != other_webhook.secret
    queue(org), queue(other)
    before = int(time.time())
    assert webhooks.deliver_due(policy=POLICY).delivered == 2
    secrets = {str(org.id): webhook.secret, str(other.id): other_webhook.secret}
    for request in receiver.requests:
        timestamp = request.headers["X-Monitoring-Timestamp"]
        assert before <= int(timestamp) <= time.time()
        secret = secrets[request.json()["organization"]]
        assert request.headers["X-Monitoring-Signature"] == signature_of(secret, timestamp, request.body)


def test_a_retry_is_signed_again_with_the_secret_of_the_moment(make, org, receiver):
    """The signature is made per attempt: a retry carries a fresh timestamp, and the
    secret in force when it is sent (after a rotation, the new one)."""
    webhook = hook(org, receiver.url)
    receiver.statuses = [500]
    queue(org)
    start = utcnow()
    webhooks.deliver_due(policy=POLICY, now=start)
    old_secret = webhook.secret
    webhook.secret = "f" * 64
    db.session.commit()
    time.sleep(1.1)
    assert webhooks.deliver_due(policy=POLICY, now=start + timedelta(minutes=1)).delivered == 1
    first, retry = receiver.requests
    assert first.body == retry.body
    assert first.headers["X-Monitoring-Signature"] == signature_of(
        old_secret, first.headers["X-Monitoring-Timestamp"], first.body)
    assert int(retry.headers["X-Monitoring-Timestamp"]) > int(first.headers["X-Monitoring-Timestamp"])
    assert retry.headers["X-Monitoring-Signature"] == signature_of(
        "f" * 64, retry.headers["X-Monitoring-Timestamp"], retry.body)


def documented_verifier():
    """The receiver's verification code exactly as docs/operations.md gives it."""
    doc = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    section = doc[doc.index("### Verifying a webhook delivery"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/operations.md", "exec"), namespace)
    return namespace["verify"]


def test_the_documented_verification_accepts_real_deliveries_and_nothing_else(make, org, receiver):
    verify = documented_verifier()
    webhook = hook(org, receiver.url)
    queue(org)
    assert webhooks.deliver_due(policy=POLICY).delivered == 1
    [request] = receiver.requests
    assert verify(webhook.secret, request.headers, request.body) is True
    assert verify("0" * 64, request.headers, request.body) is False  # another secret
    assert verify(webhook.secret, request.headers, request.body.replace(b"problem", b"recovery")) is False
    old = int(request.headers["X-Monitoring-Timestamp"]) - 301
    replayed = {"X-Monitoring-Timestamp": str(old),
                "X-Monitoring-Signature": signature_of(webhook.secret, str(old), request.body)}
    assert verify(webhook.secret, replayed, request.body) is False  # a correct signature, too old
    for broken in ({}, {"X-Monitoring-Timestamp": "soon", "X-Monitoring-Signature": "sha256=00"}):
        assert verify(webhook.secret, broken, request.body) is False
