"""What the two outboxes, webhook deliveries and e-mail deliveries, share: retries with
exponential back-off until the attempts run out, and forgetting finished deliveries."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from monitoring.extensions import db
from monitoring.models import utcnow


def backoff(attempts: int, *, base: timedelta, most: timedelta) -> timedelta:
    """The wait after ``attempts`` failed attempts: ``base`` after the first, doubling after
    each, never more than ``most``."""
    return min(most, base * 2 ** max(attempts - 1, 0))


def prune_finished(model, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete the rows of ``model`` (an outbox table) that are finished (``next_attempt_at``
    null: delivered, given up on or skipped) and older than ``older_than``."""
    cutoff = (now or utcnow()) - older_than
    count = db.session.execute(
        delete(model).where(model.next_attempt_at.is_(None), model.created < cutoff)
    ).rowcount
    db.session.commit()
    return count
