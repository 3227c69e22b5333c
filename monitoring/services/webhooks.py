"""Delivering notification events to organization webhooks, from the outbox
(``webhook_deliveries``, filled by a trigger on ``notifications``).

The worker claims due deliveries (pushing their next attempt into the future, so nobody
else takes them while the request is in flight), commits, then POSTs each event as JSON.
A 2xx answer delivers it; anything else (an error status, a refused connection, a timeout)
schedules a retry with exponential back-off, until the attempts run out. No database
transaction is open while a webhook is being called.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, text, update

from monitoring.extensions import db
from monitoring.models import WebhookDelivery, utcnow

logger = logging.getLogger(__name__)

CLAIM = text("""
    UPDATE webhook_deliveries d SET next_attempt_at = :lease_until
    FROM (SELECT id FROM webhook_deliveries
          WHERE next_attempt_at <= :now ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED) due
    WHERE d.id = due.id
    RETURNING d.id, d.organization_id, d.device_id, d.metric_id, d.type, d.level, d.message, d.event_time,
              d.attempts,
              (SELECT w.url FROM notification_webhooks w WHERE w.organization_id = d.organization_id AND w.is_active),
              (SELECT name FROM devices WHERE id = d.device_id)
""")


@dataclass(frozen=True)
class Policy:
    timeout: float  # seconds per request
    max_attempts: int
    retry_base: timedelta  # wait after the first failure; doubles after each
    retry_max: timedelta

    def delay(self, attempts: int) -> timedelta:
        return min(self.retry_max, self.retry_base * 2 ** max(attempts - 1, 0))


@dataclass
class DeliverySummary:
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0

    def __str__(self) -> str:
        return f"{self.delivered} delivered, {self.retrying} to retry, {self.given_up} given up"


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


def post_json(url: str, body: dict, *, timeout: float) -> None:
    """POST ``body``; raises on anything but a 2xx answer."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "network-monitoring-webhook/1",
                 "X-Delivery-Id": body["id"]},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # http(s) only: the schema checks the scheme
        response.read()


def deliver_due(*, policy: Policy, limit: int = 50, now: datetime | None = None) -> DeliverySummary:
    """One round: claim up to ``limit`` due deliveries and attempt each once."""
    now = now or utcnow()
    lease_until = now + timedelta(seconds=policy.timeout * 2 + 30)
    rows = db.session.execute(CLAIM, {"now": now, "lease_until": lease_until, "limit": limit}).all()
    db.session.commit()
    summary = DeliverySummary()
    for row in rows:
        row = _Row(*row)
        error = None
        if row.url is None:
            error = "the organization's webhook was removed or disabled"
        else:
            try:
                post_json(row.url, payload(row), timeout=policy.timeout)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                error = _describe(exc)
        _settle(row, error, policy=policy, summary=summary, gone=row.url is None)
    db.session.commit()
    return summary


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
    device_name: str | None


def _describe(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:500]


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
    cutoff = (now or utcnow()) - older_than
    count = db.session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.created < cutoff)
    ).rowcount
    db.session.commit()
    return count
