"""Which pending e-mails go out now and together (``email_plan``): the rules alone, on
made-up rows, at the edges of the collapse and batch intervals."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from monitoring.services.notifications import email_plan

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
COLLAPSE, BATCH = timedelta(minutes=5), timedelta(hours=3)
DEVICE, OTHER_DEVICE, METRIC = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def row(kind: str, minute: float, *, mode: str = "every", device=DEVICE, retry_at: datetime | None = None):
    at = T0 + timedelta(minutes=minute)
    return email_plan.Pending(id=uuid.uuid4(), mode=mode, queued=at, not_before=retry_at or at, attempts=0,
                              device_id=device, metric_id=METRIC, type=f"cpu_{kind}", timestamp=at,
                              message="…", device_name="ap")


def plan(rows, minute: float, *, last_digest_minute: float | None = None):
    last = None if last_digest_minute is None else T0 + timedelta(minutes=last_digest_minute)
    return email_plan.plan(rows, now=T0 + timedelta(minutes=minute), last_digest_at=last, collapse=COLLAPSE,
                           batch=BATCH)


def shape(result) -> list[list[int]]:
    """Each message as the number of rows of each of its items."""
    return [[len(item.rows) for item in message] for message in result.messages]


def test_a_problem_waits_the_collapse_interval_for_its_recovery():
    problem = row("problem", 0)
    early = plan([problem], 4.9)
    assert early.messages == [] and early.postponed == {problem.id: T0 + COLLAPSE}
    assert shape(plan([problem], 5)) == [[1]]


def test_a_recovery_within_the_interval_joins_its_problem_even_before_it_is_due_itself():
    problem, recovery = row("problem", 0), row("recovery", 4)
    result = plan([recovery, problem], 5)
    assert shape(result) == [[2]]
    assert [r.id for r in result.messages[0][0].rows] == [problem.id, recovery.id]


def test_a_late_recovery_or_another_device_is_told_apart():
    problem, late = row("problem", 0), row("recovery", 5.5)
    assert shape(plan([problem, late], 11)) == [[1], [1]]
    other = row("recovery", 1, device=OTHER_DEVICE)
    assert shape(plan([problem, other], 6)) == [[1], [1]]


def test_each_problem_takes_the_first_recovery_after_it():
    rows = [row("problem", 0), row("recovery", 1), row("problem", 2), row("recovery", 3)]
    result = plan(rows, 10)
    assert shape(result) == [[2], [2]]
    assert [[r.id for r in m[0].rows] for m in result.messages] == [[rows[0].id, rows[1].id], [rows[2].id, rows[3].id]]


def test_digest_the_first_at_once_then_one_message_per_batch_interval():
    first = row("problem", 0, mode="digest")
    assert shape(plan([first], 5)) == [[1]]
    recovery, other = row("recovery", 20, mode="digest"), row("problem", 30, mode="digest", device=OTHER_DEVICE)
    waiting = plan([recovery, other], 60, last_digest_minute=5)
    assert waiting.messages == []
    assert set(waiting.postponed.values()) == {T0 + timedelta(minutes=5) + BATCH}
    assert shape(plan([recovery, other], 185, last_digest_minute=5)) == [[1, 1]]


def test_every_mode_is_not_held_by_a_recent_digest():
    assert shape(plan([row("problem", 0, mode="every")], 10, last_digest_minute=8)) == [[1]]


def test_a_row_waiting_for_its_retry_is_not_ready_before_then():
    retry_at = T0 + timedelta(minutes=30)
    waiting = row("problem", 0, retry_at=retry_at)
    result = plan([waiting], 10)
    assert result.messages == [] and result.postponed == {waiting.id: retry_at}
    assert shape(plan([waiting], 30)) == [[1]]
