"""Which of a recipient's pending e-mail deliveries go out now, and in which messages.

Pure rules, no database: ``emails`` loads the rows and sends what this decides.

- A problem followed by the recovery of the same device and metric within the collapse
  interval is one item, told in one message. So that a recovery can still join its
  problem, an item is ready only a collapse interval after it was queued.
- ``every``: each ready item is a message of its own.
- ``digest``: the first ready items after a quiet batch interval go at once, in one
  message; after that, the items wait and go together, one message at most every batch
  interval (counted from the last message with digest items to this recipient).
- A row waiting for its retry (``not_before``) is not ready before then.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Pending:
    """A pending delivery, with what the rules and the message need of its notification."""

    id: uuid.UUID
    mode: str  # every or digest
    queued: datetime
    not_before: datetime  # its next_attempt_at
    attempts: int
    device_id: uuid.UUID | None
    metric_id: uuid.UUID | None
    type: str
    timestamp: datetime
    message: str  # markdown, as the notification has it
    device_name: str | None

    @property
    def is_problem(self) -> bool:
        return self.type.endswith("_problem")

    @property
    def is_recovery(self) -> bool:
        return self.type.endswith("_recovery")


@dataclass
class Item:
    """One notification, or a problem and its recovery told together."""

    rows: list[Pending]
    collapse: timedelta  # how long after it was queued the first row is ready

    @property
    def mode(self) -> str:
        return self.rows[0].mode

    @property
    def ready_at(self) -> datetime:
        return max(self.rows[0].queued + self.collapse, *(row.not_before for row in self.rows))


@dataclass
class Plan:
    messages: list[list[Item]] = field(default_factory=list)
    # Rows not sent now, with when to look at them again.
    postponed: dict[uuid.UUID, datetime] = field(default_factory=dict)


def items(rows: list[Pending], *, collapse: timedelta) -> list[Item]:
    """The rows, oldest first, with each problem joined by the first later recovery of the
    same device and metric within ``collapse``."""
    ordered = sorted(rows, key=lambda row: row.timestamp)
    joined: set[uuid.UUID] = set()
    result = []
    for index, row in enumerate(ordered):
        if row.id in joined:
            continue
        item = Item([row], collapse=collapse)
        if row.is_problem:
            recovery = next((later for later in ordered[index + 1:]
                             if later.is_recovery and later.id not in joined
                             and (later.device_id, later.metric_id) == (row.device_id, row.metric_id)
                             and later.timestamp - row.timestamp <= collapse), None)
            if recovery is not None:
                item.rows.append(recovery)
                joined.add(recovery.id)
        result.append(item)
    return result


def plan(rows: list[Pending], *, now: datetime, last_digest_at: datetime | None, collapse: timedelta,
         batch: timedelta) -> Plan:
    """What to send now of one recipient's pending rows (see the module's rules)."""
    result = Plan()
    digest: list[Item] = []
    digest_due = last_digest_at is None or last_digest_at + batch <= now
    for item in items(rows, collapse=collapse):
        if item.ready_at > now:
            result.postponed.update((row.id, item.ready_at) for row in item.rows)
        elif item.mode == "every":
            result.messages.append([item])
        elif digest_due:
            digest.append(item)
        else:
            result.postponed.update((row.id, last_digest_at + batch) for row in item.rows)
    if digest:
        result.messages.append(digest)
    return result
