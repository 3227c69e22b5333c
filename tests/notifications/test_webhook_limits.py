"""A webhook receiver cannot hold the worker: each delivery has one deadline for the whole
exchange, reads a few KB of the answer at most, deliveries of different organizations run
side by side, and a run of the webhooks job ends on time whatever the receivers do. Every
receiver is a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pytest

from monitoring import worker
from monitoring.services.notifications import webhooks
from tests.notifications.support import (
    HUGE_BODY_BYTES,
    POLICY,
    Receiver,
    deliveries,
    hang,
    hook,
    huge_body,
    queue,
    trickle,
)

FAST = dataclasses.replace(POLICY, timeout=1)


@pytest.fixture
def receivers():
    opened = []

    def open_receiver(respond=None):
        opened.append(Receiver(respond))
        return opened[-1]

    yield open_receiver
    for receiver in opened:
        receiver.close()


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def test_a_trickling_receiver_is_cut_off_at_the_deadline(make, receivers):
    """One byte every 0.25 s satisfies any per-read timeout; the answer would take 10 s."""
    org = make.org()
    hook(org, receivers(trickle).url)
    queue(org)
    summary, elapsed = timed(webhooks.deliver_due, policy=FAST)
    assert summary.retrying == 1 and summary.delivered == 0
    assert elapsed < 2.5
    [delivery] = deliveries()
    assert delivery.last_error == "no complete answer within 1 s" and delivery.attempts == 1


def test_a_receiver_that_never_answers_is_cut_off_at_the_deadline(make, receivers):
    org = make.org()
    hook(org, receivers(hang).url)
    queue(org)
    summary, elapsed = timed(webhooks.deliver_due, policy=FAST)
    assert summary.retrying == 1 and elapsed < 2.5
    assert deliveries()[0].last_error == "no complete answer within 1 s"


def test_only_the_head_of_a_huge_answer_is_read(make, receivers):
    org = make.org()
    receiver = receivers(huge_body)
    hook(org, receiver.url)
    queue(org)
    summary, elapsed = timed(webhooks.deliver_due, policy=FAST)
    assert summary.delivered == 1 and elapsed < 2.5
    time.sleep(0.3)  # the receiver notices the closed connection
    # What the receiver managed to write is what the two sockets' buffers hold, not 512 MiB.
    assert receiver.bytes_sent < 32 * 1024 * 1024 < HUGE_BODY_BYTES
    assert deliveries()[0].delivered_at is not None


def test_an_answer_without_a_status_line_in_its_first_bytes_fails(make, receivers):
    def endless_status_line(receiver, handler):
        handler.wfile.write(b"HTTP/1.1 200 " + b"O" * 100_000 + b"\r\n\r\n")

    org = make.org()
    hook(org, receivers(endless_status_line).url)
    queue(org)
    assert webhooks.deliver_due(policy=FAST).retrying == 1
    assert deliveries()[0].last_error == "no HTTP status line in the first 4096 bytes of the answer"


def test_a_slow_receiver_does_not_hold_up_other_organizations(make, receivers):
    slow_org, fast_orgs = make.org(), [make.org(), make.org()]
    hook(slow_org, receivers(hang).url)
    fast = receivers()
    for org in fast_orgs:
        hook(org, fast.url)
        queue(org, 3)
    queue(slow_org, 3)
    summary, elapsed = timed(webhooks.deliver_due, policy=FAST)
    assert elapsed < 2.5  # one deadline, not one per slow delivery
    assert (summary.delivered, summary.retrying, summary.postponed) == (6, 1, 2)
    assert len(fast.requests) == 6
    # The slow receiver got one attempt; its other deliveries wait for the next run, uncounted.
    first, *rest = deliveries(slow_org)
    assert first.attempts == 1 and first.last_error == "no complete answer within 1 s"
    assert [(d.attempts, d.last_error, d.next_attempt_at is not None) for d in rest] == [(0, None, True)] * 2


def test_a_run_ends_on_time_whatever_the_receivers_do(make, receivers):
    """Five hanging organizations, two at a time, 1 s each, a 2.5 s run: four attempts, the
    fifth would end after the run and waits for the next one."""
    policy = dataclasses.replace(FAST, concurrency=2, run_seconds=2.5)
    hanging = receivers(hang)
    for _ in range(5):
        org = make.org()
        hook(org, hanging.url)
        queue(org)
    summary, elapsed = timed(webhooks.deliver_due, policy=policy)
    assert elapsed < 3.5
    assert (summary.retrying, summary.postponed) == (4, 1)
    assert sorted(d.attempts for d in deliveries()) == [0, 1, 1, 1, 1]


def test_the_worker_job_is_bounded_by_the_settings(app, make, receivers, monkeypatch):
    """The worker's webhooks job takes its deadline and run limit from the settings, so the
    jobs after it in the pass still run promptly."""
    for name, value in {"WEBHOOK_TIMEOUT_SECONDS": 1, "WEBHOOK_RUN_MAX_SECONDS": 2,
                        "WEBHOOK_ALLOW_PRIVATE_TARGETS": True}.items():
        monkeypatch.setitem(app.config, name, value)
    org = make.org()
    hook(org, receivers(trickle).url)
    queue(org, 5)
    after = worker.Job("after", timedelta(minutes=1), lambda: "ran")
    jobs = [job for job in worker.default_jobs(app.config) if job.name == "webhooks"] + [after]
    ran, elapsed = timed(worker.run_due, app, jobs)
    assert ran == ["webhooks", "after"] and elapsed < 3.5
    assert sorted(d.attempts for d in deliveries()) == [0, 0, 0, 0, 1]
