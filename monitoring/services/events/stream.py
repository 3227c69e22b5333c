"""Live events (docs/events.md): what changes in the organizations a user manages, as a
Server-Sent Events stream.

Events are rows of ``events``, written by triggers in the writer's own transaction (migration
``0018_events``), each announced with ``NOTIFY monitoring_events, '<id>'``, which PostgreSQL
delivers only once that transaction commits: an event is never seen before what it tells
happened is stored, and any process of any host listening on the database hears it.

Each process that serves streams has one ``Hub``: a thread holding the one connection that
LISTENs, reading each announced event once and handing it to the streams of its
organization. A stream asks the database for nothing else but, every few seconds, whether
its credentials still hold (a revoked token or an ended session closes it) and which
organizations its user manages now.
"""
from __future__ import annotations

import json
import logging
import queue
import select
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import delete
from sqlalchemy import select as sql_select

from monitoring.extensions import db
from monitoring.models import ApiToken, BrowserSession, Event, User
from monitoring.tenancy import managed_organization_ids

CHANNEL = "monitoring_events"
LISTEN = "LISTEN monitoring_events"
# How long a browser's EventSource waits before it reconnects (with ``Last-Event-ID``).
RECONNECT_MILLISECONDS = 3000
log = logging.getLogger(__name__)


def event_text(event: Event) -> str:
    """One event in the ``text/event-stream`` format: its id (what ``Last-Event-ID`` sends
    back on reconnection), its type, and its JSON."""
    body = {"id": event.id, "type": event.type, "organization": str(event.organization_id),
            "time": event.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **event.data}
    return f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(body, separators=(',', ':'))}\n\n"


@dataclass(eq=False)
class Subscription:
    """A stream's queue of events and the organizations it may see (None: all)."""

    organizations: frozenset[uuid.UUID] | None
    events: queue.Queue = field(default_factory=lambda: queue.Queue(maxsize=10000))

    def wants(self, event: Event) -> bool:
        return self.organizations is None or event.organization_id in self.organizations


class Hub:
    """One per process: the LISTEN connection's thread and the streams it feeds."""

    def __init__(self, app: Flask):
        self._app = app
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._thread: threading.Thread | None = None
        self._listening = threading.Event()

    def subscribe(self, organizations: frozenset[uuid.UUID] | None) -> Subscription:
        """A new stream's subscription, once the hub listens (so nothing committed after this
        returns is missed)."""
        subscription = Subscription(organizations)
        with self._lock:
            self._subscriptions.add(subscription)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="events-hub", daemon=True)
                self._thread.start()
        if not self._listening.wait(timeout=10):
            self.unsubscribe(subscription)
            raise ConnectionError("The event hub could not listen on the database.")
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def _run(self) -> None:
        while True:
            try:
                self._listen()
            except Exception:  # the database went away: listen again, a moment later
                log.exception("event hub: listening failed; retrying")
            self._listening.clear()
            time.sleep(1)

    def _listen(self) -> None:
        with self._app.app_context():
            raw = db.engine.raw_connection()
        connection = raw.driver_connection
        raw.detach()  # held for good, outside the pool
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(LISTEN)
            self._listening.set()
            while True:
                if select.select([connection], [], [], 5)[0]:
                    connection.poll()
                    ids = [int(notice.payload) for notice in connection.notifies]
                    connection.notifies.clear()
                    if ids:
                        self._dispatch(_read_events(connection, ids))
                else:
                    with connection.cursor() as cursor:  # notice a dead connection
                        cursor.execute("SELECT 1")
        finally:
            connection.close()

    def _dispatch(self, events: list[Event]) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for event in events:
            for subscription in subscriptions:
                if subscription.wants(event):
                    try:
                        subscription.events.put_nowait(event)
                    except queue.Full:  # a client that reads nothing loses the newest events
                        pass


def _read_events(connection, ids: list[int]) -> list[Event]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, organization_id, type, data, created FROM events WHERE id = ANY(%s) ORDER BY id",
                       (ids,))
        return [Event(id=row[0], organization_id=uuid.UUID(str(row[1])), type=row[2], data=row[3], created=row[4])
                for row in cursor.fetchall()]


_hubs: dict[int, Hub] = {}
_hubs_lock = threading.Lock()


def hub_for(app: Flask) -> Hub:
    """This process's hub for ``app``."""
    with _hubs_lock:
        return _hubs.setdefault(id(app), Hub(app))


# --- a stream ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    """What a stream authenticated with: re-checked while it runs."""

    user_id: uuid.UUID
    token_id: uuid.UUID | None
    session_id: uuid.UUID | None


def allowed_organizations(credentials: Credentials) -> frozenset[uuid.UUID] | None | bool:
    """The organizations the stream may see now (None: all, for a superuser), or False when
    its token was revoked, its session ended, or its user was deactivated. Ends the
    session's transaction."""
    try:
        user = db.session.get(User, credentials.user_id)
        if user is None or not user.is_active:
            return False
        if credentials.token_id is not None and db.session.get(ApiToken, credentials.token_id) is None:
            return False
        if credentials.session_id is not None:
            row = db.session.get(BrowserSession, credentials.session_id)
            if row is None or row.expires_at <= datetime.now(UTC):
                return False
        managed = managed_organization_ids(user, fresh=True)
        return None if managed is None else frozenset(managed)
    finally:
        db.session.rollback()


def missed(organizations: frozenset[uuid.UUID] | None, *, after: int, limit: int) -> list[Event]:
    """The events after ``after`` still kept, of these organizations, oldest first."""
    statement = sql_select(Event).where(Event.id > after)
    if organizations is not None:
        statement = statement.where(Event.organization_id.in_(organizations))
    try:
        events = list(db.session.scalars(statement.order_by(Event.id).limit(limit)))
        db.session.expunge_all()
        return events
    finally:
        db.session.rollback()


def stream(*, hub: Hub, credentials: Credentials, last_event_id: int | None, heartbeat_seconds: float,
           recheck_seconds: float, replay_limit: int, clock: Callable[[], float] = time.monotonic) -> Iterator[str]:
    """The text of a stream: the events missed since ``last_event_id``, then live ones, with
    a comment line every ``heartbeat_seconds`` of silence. Ends when the credentials no
    longer hold."""
    organizations = allowed_organizations(credentials)
    if organizations is False:
        return
    subscription = hub.subscribe(organizations)
    try:
        yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
        replayed = set()
        if last_event_id is not None:
            for event in missed(organizations, after=last_event_id, limit=replay_limit):
                replayed.add(event.id)
                yield event_text(event)
        checked = sent = clock()
        while True:
            try:
                event = subscription.events.get(timeout=min(heartbeat_seconds, recheck_seconds))
            except queue.Empty:
                event = None
            if clock() - checked >= recheck_seconds:
                organizations = allowed_organizations(credentials)
                if organizations is False:
                    return
                subscription.organizations = organizations
                checked = clock()
            # Events replayed above may arrive again from the hub: each is sent once.
            if event is not None and event.id not in replayed and subscription.wants(event):
                yield event_text(event)
                sent = clock()
            elif clock() - sent >= heartbeat_seconds:
                yield ": heartbeat\n\n"
                sent = clock()
    finally:
        hub.unsubscribe(subscription)


def prune(*, seconds: int) -> int:
    """Delete the events older than ``seconds``: a client reconnecting later gets only what
    is left. Commits; returns how many."""
    deleted = db.session.execute(
        delete(Event).where(Event.created < datetime.now(UTC) - timedelta(seconds=seconds))
    ).rowcount
    db.session.commit()
    return deleted
