"""Heavy reads on streaming replicas (``DATABASE_REPLICA_URLS``), exact all the same.

A view decorated with ``heavy_read`` runs on a replica once its caller is let in (the
authentication, on the primary, is already done). A read that starts after a write was
acknowledged must see it, whoever wrote it (docs/charts.md, "Exact at every moment"). So,
first, on the primary and in the transaction the authentication already opened, the
request reads the position of the primary's write-ahead log (``pg_current_wal_insert_lsn``:
every acknowledged commit lies before it, asynchronous commits included); then it takes a
replica that has replayed that position, waiting for one at most ``REPLICA_WAIT_MS``.
Everything the view reads — rows, rollups, the rollup watermark and the late-hour marks —
is then the primary's state at the start of the request or later.

A replica is passed over, for the next one or the primary, when it cannot be reached (and
then for ``REPLICA_RETRY_SECONDS``), when it is no standby (promoted), when its replay is
paused or more than ``REPLICA_MAX_LAG_SECONDS`` behind, or when it has not caught up in
time. If a statement fails on the replica while the view runs (the replica stopped, or
cancelled the read to replay), the view runs again on the primary: a replica never causes
an error answer. Writes, the worker and the device POST never come here.
"""
from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass
from functools import wraps

from flask import Flask, current_app
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from monitoring.database import READ_CONNECTION
from monitoring.extensions import db, rollback_session
from monitoring.observability import database_errors
from monitoring.observability.prometheus_metrics import record_heavy_read

logger = logging.getLogger("monitoring.replicas")

PRIMARY_POSITION = text("SELECT pg_current_wal_insert_lsn()")
# Read on the replica, in the transaction its reads then use. The functions of recovery
# fail on a server that is not in recovery: they are only asked of a standby.
REPLAY_STATE = text("""
    SELECT pg_is_in_recovery(),
           CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() >= CAST(:target AS pg_lsn) END,
           CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END,
           CASE WHEN pg_is_in_recovery() AND pg_last_wal_receive_lsn() IS DISTINCT FROM pg_last_wal_replay_lsn()
                THEN extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) ELSE 0 END
""")
FIRST_POLL_SECONDS, LONGEST_POLL_SECONDS = 0.0005, 0.005


@dataclass
class Replica:
    name: str
    engine: Engine
    failed_at: float | None = None  # time.monotonic() of the last failure


@dataclass(frozen=True)
class Policy:
    max_lag: float
    wait: float
    retry: float

    @classmethod
    def from_config(cls, config) -> Policy:
        return cls(max_lag=config["REPLICA_MAX_LAG_SECONDS"], wait=config["REPLICA_WAIT_MS"] / 1000,
                   retry=config["REPLICA_RETRY_SECONDS"])


class ReplicaSet:
    """The replicas of one application, asked in turn (each process starts with another)."""

    def __init__(self, replicas: list[Replica], policy: Policy):
        self.replicas = replicas
        self.policy = policy
        self._turn = itertools.count()

    def in_turn(self) -> list[Replica]:
        """The replicas to try for one read, beginning with the next in turn; those that
        failed less than the retry period ago are left out."""
        start = next(self._turn) % len(self.replicas)
        now = time.monotonic()
        ordered = self.replicas[start:] + self.replicas[:start]
        return [r for r in ordered if r.failed_at is None or now - r.failed_at >= self.policy.retry]

    def caught_up(self, replica: Replica, target: str) -> tuple[Connection | None, str]:
        """A connection to ``replica`` in a transaction whose statements see at least the
        primary's state at ``target``, or None and why not."""
        connection = replica.engine.connect()
        try:
            deadline = time.monotonic() + self.policy.wait
            pause = FIRST_POLL_SECONDS
            while True:
                standby, caught_up, paused, lag = connection.execute(REPLAY_STATE, {"target": target}).one()
                if caught_up:
                    replica.failed_at = None
                    return connection, "caught up"
                reason = ("not a standby" if not standby else "replay paused" if paused
                          else "lagging" if lag is not None and lag > self.policy.max_lag
                          else "not caught up in time" if time.monotonic() + pause > deadline else None)
                if reason is not None:
                    connection.close()
                    return None, reason
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_POLL_SECONDS)
        except BaseException:
            connection.close()
            raise

    def failed(self, replica: Replica, error: Exception) -> None:
        if replica.failed_at is None:
            logger.warning("replica %s failed (%s): reads go elsewhere, and it is asked again in %ss",
                           replica.name, database_errors.reason(error), self.policy.retry)
        replica.failed_at = time.monotonic()


def init_app(app: Flask) -> None:
    """The replicas of ``app``: the engines Flask-SQLAlchemy made of its ``replica-*`` binds."""
    with app.app_context():
        replicas = [Replica(name, engine) for name, engine in db.engines.items()
                    if isinstance(name, str) and name.startswith("replica-")]
    app.extensions["replicas"] = ReplicaSet(sorted(replicas, key=lambda r: r.name), Policy.from_config(app.config))


def _route_to_replica() -> Replica | None:
    """Choose where this request's reads go; the primary (None) when no replica will do.

    The primary's transaction (the authentication's reads) ends here, keeping what it loaded:
    the view goes on with those objects, and reads anything else where it is sent."""
    replica_set: ReplicaSet = current_app.extensions["replicas"]
    if not replica_set.replicas:
        return None
    candidates = replica_set.in_turn()
    if not candidates:
        record_heavy_read("primary", "replica down")
        return None
    session = db.session()
    target = str(session.execute(PRIMARY_POSITION).scalar())
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    reason = "replica down"
    for replica in candidates:
        try:
            connection, reason = replica_set.caught_up(replica, target)
        except (DBAPIError, PoolTimeoutError) as error:
            replica_set.failed(replica, error)
            reason = "replica down"
            continue
        if connection is not None:
            session.info[READ_CONNECTION] = connection
            record_heavy_read("replica", reason)
            return replica
    record_heavy_read("primary", reason)
    return None


def heavy_read(view):
    """Run ``view`` on a replica that has caught up with the primary when there is one (see
    the module's docstring), else on the primary. Put it below the access decorators: the
    authentication stays on the primary. The replica's connection goes back to its pool
    when the request ends (``monitoring.extensions.remove_session``)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        replica = _route_to_replica()
        if replica is None:
            return view(*args, **kwargs)
        try:
            return view(*args, **kwargs)
        except DBAPIError as error:
            if not isinstance(error, OperationalError) and not error.connection_invalidated:
                raise
            current_app.extensions["replicas"].failed(replica, error)
        # The replica went away or cancelled the read: everything again, on the primary. The
        # objects the authentication loaded stay in the session, expired: read again there.
        rollback_session()
        db.session().info.pop(READ_CONNECTION).invalidate()
        record_heavy_read("primary", "replica failed")
        return view(*args, **kwargs)

    return wrapper
