"""Delivering notification events to organization webhooks, from the outbox
(``webhook_deliveries``, filled by a trigger on ``notifications``).

The worker claims due deliveries (pushing their next attempt into the future, so nobody
else takes them while the request is in flight), commits, then POSTs each event as JSON,
signed with the organization's secret. A 2xx answer delivers it; anything else (an error
status, a redirect, which is never followed, a refused address, a refused connection, no
complete answer in time) schedules a retry with exponential back-off, until the attempts
run out. No database transaction is open while a webhook is being called.

A receiver cannot hold the worker up: each delivery has one deadline for all of it
(``timeout``); the organizations are served side by side by a few threads, each
organization's deliveries in order; after a failure, that organization's other deliveries
wait for the next run rather than each waiting out its own deadline; and a run starts no
delivery it could not finish within ``run_seconds``. The threads only talk HTTP: every
database read and write is made by the caller's thread.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import ssl
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import text, update

from monitoring.extensions import db
from monitoring.models import WebhookDelivery, utcnow
from monitoring.services.notifications import outbox, webhook_http, webhook_targets

logger = logging.getLogger(__name__)

CLAIM = text("""
    UPDATE webhook_deliveries d SET next_attempt_at = :lease_until
    FROM (SELECT id, organization_id FROM webhook_deliveries
          WHERE next_attempt_at <= :now ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED) due
    LEFT JOIN notification_webhooks w ON w.organization_id = due.organization_id AND w.is_active
    WHERE d.id = due.id
    RETURNING d.id, d.organization_id, d.device_id, d.metric_id, d.type, d.level, d.message, d.event_time,
              d.attempts, w.url, w.secret, (SELECT name FROM devices WHERE id = d.device_id)
""")
GONE = "the organization's webhook was removed or disabled"
USER_AGENT = "network-monitoring-webhook/1"
# How long past the end of a run its threads get to hand in results they were finishing.
GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class Policy:
    timeout: float  # seconds for the whole of one delivery
    max_attempts: int
    retry_base: timedelta  # wait after the first failure; doubles after each
    retry_max: timedelta
    run_seconds: float = 30  # the longest one run takes
    concurrency: int = 4  # organizations delivered to at once
    max_answer_bytes: int = 4096  # read of each answer: its status line and headers
    allow_private_targets: bool = False
    tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    @classmethod
    def from_config(cls, config) -> Policy:
        """The policy the settings (``WEBHOOK_*``) describe."""
        return cls(
            timeout=config["WEBHOOK_TIMEOUT_SECONDS"], max_attempts=config["WEBHOOK_MAX_ATTEMPTS"],
            retry_base=timedelta(seconds=config["WEBHOOK_RETRY_BASE_SECONDS"]),
            retry_max=timedelta(seconds=config["WEBHOOK_RETRY_MAX_SECONDS"]),
            run_seconds=config["WEBHOOK_RUN_MAX_SECONDS"], concurrency=max(1, config["WEBHOOK_CONCURRENCY"]),
            max_answer_bytes=config["WEBHOOK_MAX_ANSWER_BYTES"],
            allow_private_targets=config["WEBHOOK_ALLOW_PRIVATE_TARGETS"],
        )

    def delay(self, attempts: int) -> timedelta:
        return outbox.backoff(attempts, base=self.retry_base, most=self.retry_max)

    @property
    def out_of_time(self) -> str:
        return f"no complete answer within {self.timeout:g} s"


@dataclass
class DeliverySummary:
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0
    postponed: int = 0  # not attempted in this run: due again at the next one

    def __str__(self) -> str:
        return (f"{self.delivered} delivered, {self.retrying} to retry, {self.given_up} given up, "
                f"{self.postponed} postponed")

    @property
    def is_empty(self) -> bool:
        """No delivery was due."""
        return not (self.delivered or self.retrying or self.given_up or self.postponed)


@dataclass(frozen=True)
class _Row:
    id: uuid.UUID
    organization_id: uuid.UUID
    device_id: uuid.UUID | None
    metric_id: uuid.UUID | None
    type: str
    level: str
    message: str
    event_time: datetime
    attempts: int
    url: str | None
    secret: str | None
    device_name: str | None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def payload(row) -> dict:
    """The JSON body: the notification as the notifications API shows it."""
    return {
        "id": str(row.id), "type": row.type, "level": row.level, "message": row.message,
        "timestamp": _iso(row.event_time), "organization": str(row.organization_id),
        "device": {"id": str(row.device_id), "name": row.device_name} if row.device_id else None,
        "metric": str(row.metric_id) if row.metric_id else None,
    }


def signature_headers(secret: str, body: bytes, *, timestamp: int) -> dict[str, str]:
    """``X-Monitoring-Timestamp`` (Unix seconds) and ``X-Monitoring-Signature``: the
    HMAC-SHA256 of ``<timestamp>.<body>`` keyed with the secret, as ``sha256=<hex>``. The
    timestamp is signed too, so a receiver can refuse old deliveries replayed."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return {"X-Monitoring-Timestamp": str(timestamp), "X-Monitoring-Signature": f"sha256={digest}"}


def _judge(answer: webhook_http.Answer) -> str | None:
    """None when the answer delivers the event, else why not."""
    if 200 <= answer.status < 300:
        return None
    if 300 <= answer.status < 400:
        # Following it would send the event somewhere nobody checked (or, as clients do
        # for 301-303, lose the body on the way): the receiver must be configured right.
        where = f" (Location: {answer.location})" if answer.location else ""
        return f"HTTP {answer.status}: redirects are not followed{where}"
    return f"HTTP {answer.status}"


def attempt(row: _Row, policy: Policy, *, deadline: float) -> str | None:
    """POST one delivery, all of it before ``deadline`` (``time.monotonic()``); returns
    None when delivered, else the reason it was not."""
    body = json.dumps(payload(row)).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Delivery-Id": str(row.id),
               **signature_headers(row.secret, body, timestamp=int(time.time()))}
    try:
        target = webhook_targets.checked_target(row.url, allow_private=policy.allow_private_targets)
        answer = webhook_http.post(target, body, headers, deadline=deadline, tls=policy.tls,
                                   max_answer_bytes=policy.max_answer_bytes)
    except webhook_targets.TargetRefused as exc:
        return f"refused: {exc}"
    except TimeoutError:
        return policy.out_of_time
    except webhook_http.BadAnswer as exc:
        return str(exc)
    except (OSError, ValueError) as exc:  # unresolvable, refused, reset, TLS errors
        return f"{type(exc).__name__}: {exc}"[:500]
    return _judge(answer)


def _attempt_in_order(rows: list[_Row], policy: Policy, run_ends: float, outcomes: dict) -> None:
    """One organization's deliveries, oldest first, each with its deadline, recording each
    outcome in ``outcomes`` as it goes. Stops at the first failure (the receiver is down or
    slow: the others would most likely wait out their deadlines too) and when the run has
    no time left for a whole attempt; what is left is not attempted."""
    for row in rows:
        started = time.monotonic()
        if started + policy.timeout > run_ends:
            return
        outcomes[row.id] = policy.out_of_time  # stands if this attempt outlives the run
        outcomes[row.id] = error = attempt(row, policy, deadline=started + policy.timeout)
        if error is not None:
            return


def _attempt_all(rows: list[_Row], policy: Policy) -> dict[uuid.UUID, str | None]:
    """Attempt the rows within one run: organizations side by side, each organization's in
    order. Returns the outcome of each attempted row (None: delivered, else the reason);
    rows that are missing were not attempted."""
    if not rows:
        return {}
    run_ends = time.monotonic() + max(policy.run_seconds, policy.timeout)
    by_organization: dict[uuid.UUID, list[_Row]] = {}
    for row in sorted(rows, key=lambda row: row.event_time):
        by_organization.setdefault(row.organization_id, []).append(row)
    outcomes: dict[uuid.UUID, str | None] = {}
    pool = ThreadPoolExecutor(max_workers=policy.concurrency, thread_name_prefix="webhook")
    try:
        futures = [pool.submit(_attempt_in_order, batch, policy, run_ends, outcomes)
                   for batch in by_organization.values()]
        done, _ = wait(futures, timeout=run_ends - time.monotonic() + GRACE_SECONDS)
    finally:
        # A thread still busy is past its deadline (stuck in a name lookup, which cannot be
        # interrupted): it is left to finish, and its outcome stands as "no answer in time".
        pool.shutdown(wait=False, cancel_futures=True)
    for future in done:
        future.result()  # a bug in a thread surfaces here, in the job's error
    return dict(outcomes)


def deliver_due(*, policy: Policy, limit: int = 50, now: datetime | None = None) -> DeliverySummary:
    """One run: claim up to ``limit`` due deliveries and attempt each at most once."""
    now = now or utcnow()
    lease_until = now + timedelta(seconds=max(policy.run_seconds, policy.timeout) + GRACE_SECONDS + 30)
    rows = [_Row(*row) for row in
            db.session.execute(CLAIM, {"now": now, "lease_until": lease_until, "limit": limit}).all()]
    db.session.commit()
    outcomes = _attempt_all([row for row in rows if row.url is not None], policy)
    summary = DeliverySummary()
    for row in rows:
        if row.url is None:
            _settle(row, GONE, policy=policy, summary=summary, gone=True)
        elif row.id in outcomes:
            _settle(row, outcomes[row.id], policy=policy, summary=summary, gone=False)
        else:
            _postpone(row, now=now, summary=summary)
    db.session.commit()
    return summary


def _postpone(row: _Row, *, now: datetime, summary: DeliverySummary) -> None:
    """Not attempted: due again at the next run, no attempt counted."""
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == row.id).values(next_attempt_at=now))
    summary.postponed += 1


def _settle(row: _Row, error: str | None, *, policy: Policy, summary: DeliverySummary, gone: bool) -> None:
    attempted = utcnow()
    attempts = row.attempts + (0 if gone else 1)
    values: dict = {"attempts": attempts, "last_error": error}
    if error is None:
        values.update(delivered_at=attempted, next_attempt_at=None)
        summary.delivered += 1
    elif gone or attempts >= policy.max_attempts:
        values.update(next_attempt_at=None)
        summary.given_up += 1
        logger.warning("webhook delivery %s given up after %d attempts: %s", row.id, attempts, error)
    else:
        values.update(next_attempt_at=attempted + policy.delay(attempts))
        summary.retrying += 1
        logger.info("webhook delivery %s failed (attempt %d): %s", row.id, attempts, error)
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == row.id).values(**values))


def prune(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Forget finished deliveries (delivered or given up) older than this."""
    return outbox.prune_finished(WebhookDelivery, older_than=older_than, now=now)
