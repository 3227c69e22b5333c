"""The maintenance worker: ``flask --app wsgi worker`` runs the periodic jobs (checks,
recovery requests, notifications held by maintenance windows, webhook deliveries, e-mails, rollup
refresh, retention, WiFi session pruning, expired browser sessions and login counts).

Any number of workers may run, on any number of machines, directly or through a pooler in
transaction mode. A job runs under a PostgreSQL advisory lock (never twice at the same time)
and only if ``worker_jobs`` says its last start is at least one period ago; the claim is one
atomic statement, so of several workers asking in the same period exactly one runs it. Each
run is logged with what it did and how long it took, and recorded in ``worker_jobs``.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from monitoring.extensions import db, rollback_session
from monitoring.models import utcnow
from monitoring.observability import database_errors
from monitoring.services.accounts import login_throttle, sessions
from monitoring.services.checks import checks, runs
from monitoring.services.events import stream as events
from monitoring.services.geo import wifi_sessions
from monitoring.services.maintenance import release as maintenance_release
from monitoring.services.notifications import emails, webhooks
from monitoring.timeseries import retention
from monitoring.timeseries.rollups import refresh_rollups as refresh

logger = logging.getLogger("monitoring.worker")

# First key of the two-key advisory locks: the worker's own namespace (the rollup refresh
# locks a single-key id, which lives in another part of the key space).
LOCK_NAMESPACE = 0x776B72  # "wkr"

CLAIM = text("""
    INSERT INTO worker_jobs (name, last_started_at) VALUES (:name, now())
    ON CONFLICT (name) DO UPDATE SET last_started_at = now()
    WHERE worker_jobs.last_started_at IS NULL
       OR worker_jobs.last_started_at <= now() - CAST(:period AS interval)
    RETURNING name
""")
FINISH = text("""
    UPDATE worker_jobs SET last_finished_at = now(), last_duration_ms = :duration_ms, last_summary = :summary,
                           last_error = :error
    WHERE name = :name
""")


@dataclass(frozen=True)
class Job:
    name: str
    period: timedelta
    # Does the work in an app context; returns what it did (logged), or None when there was
    # nothing to do: an idle worker logs what happens, not every pass that found nothing.
    run: Callable[[], object | None]


def lock_key(name: str) -> int:
    """A stable 31-bit id per job name."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def run_job(job: Job) -> bool:
    """Run ``job`` if no other worker runs it and its period has passed; returns whether it
    ran. Call inside an app context.

    The lock is a transaction lock, held by a transaction left open on a connection of its
    own while the job runs (it writes nothing, so it holds back no vacuum): a session lock
    would outlive its statement on a server connection that a pooler in transaction mode
    hands to other clients, for whom it is then taken already, and to whom it is granted
    again (session locks are re-entrant). The claim and the record of the run are short
    transactions of their own, committed at once."""
    key = {"ns": LOCK_NAMESPACE, "key": lock_key(job.name)}
    with db.engine.connect() as lock:
        if not lock.execute(text("SELECT pg_try_advisory_xact_lock(:ns, :key)"), key).scalar():
            logger.debug("job %s: running elsewhere", job.name)
            return False
        period = f"{job.period.total_seconds()} seconds"
        with db.engine.begin() as connection:
            if connection.execute(CLAIM, {"name": job.name, "period": period}).first() is None:
                return False
        started = time.perf_counter()
        summary, error = None, None
        try:
            summary = job.run()
        except Exception as exc:  # one job failing must not stop the others
            rollback_session()
            error = f"{type(exc).__name__}: {exc}"[:2000]
            logger.exception("job %s failed after %.2fs", job.name, time.perf_counter() - started)
        finally:
            db.session.remove()
        duration = time.perf_counter() - started
        if error is None and summary is None:
            logger.debug("job %s: nothing to do (%.2fs)", job.name, duration)
        elif error is None:
            logger.info("job %s: %s (%.2fs)", job.name, summary, duration)
        with db.engine.begin() as connection:
            connection.execute(FINISH, {"name": job.name, "duration_ms": round(duration * 1000),
                                        "summary": None if summary is None else str(summary)[:2000],
                                        "error": error})
        return True  # closing the lock's connection ends its transaction: the lock is free


def run_due(app: Flask, jobs: Iterable[Job]) -> list[str]:
    """One pass over the jobs; returns the names of those that ran."""
    ran = []
    for job in jobs:
        with app.app_context():
            if run_job(job):
                ran.append(job.name)
    return ran


def run_forever(app: Flask, jobs: list[Job], *, tick: float, stop_with: int | None = None,
                stop: threading.Event | None = None) -> None:
    """Pass over the jobs every ``tick`` seconds until SIGTERM/SIGINT, ``stop``, or the end
    of process ``stop_with`` (the web server the worker was started beside)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    logger.info("worker started: jobs %s, every %ss", ", ".join(j.name for j in jobs), tick)
    while not stop.is_set():
        try:
            run_due(app, jobs)
        except SQLAlchemyError as exc:
            # The database is down or restarting: the jobs are due again on a later pass.
            logger.warning("worker: database unavailable (%s); next try in %ss", database_errors.reason(exc), tick)
        if stop_with is not None and not _alive(stop_with):
            logger.info("worker stopping: process %s has ended", stop_with)
            break
        stop.wait(tick)
    logger.info("worker stopped")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the jobs ------------------------------------------------------------------------

def _run_checks():
    created = checks.ensure_automatic(db.session)
    summary = runs.run_checks()
    return f"{created} automatic checks created; {summary}"


def _run_requested_checks():
    return runs.run_requested_checks()


def _deliver_from_outbox(channel, *, retention_setting: str, what: str):
    """One outbox's due deliveries sent and its old rows pruned; None when there was nothing
    to do. ``channel``: a module with ``deliver_due``, ``Policy`` and ``prune``."""
    config = current_app.config
    summary = channel.deliver_due(policy=channel.Policy.from_config(config))
    pruned = channel.prune(older_than=timedelta(days=config[retention_setting]))
    if summary.is_empty and not pruned:
        return None
    return f"{summary}; {pruned} old {what} pruned"


def _deliver_webhooks():
    """Due deliveries, within ``WEBHOOK_RUN_MAX_SECONDS`` whatever the receivers do, so the
    jobs after this one in the pass are not held up."""
    return _deliver_from_outbox(webhooks, retention_setting="WEBHOOK_DELIVERIES_RETENTION_DAYS", what="deliveries")


def _deliver_emails():
    """Due notification e-mails (``docs/alerting.md``, "E-mail notifications")."""
    return _deliver_from_outbox(emails, retention_setting="EMAIL_DELIVERIES_RETENTION_DAYS",
                                what="e-mail deliveries")


def _release_held_notifications():
    return maintenance_release.release_ended()


def _refresh_rollups():
    """The chart rollups (``monitoring/timeseries/rollups.py``) brought up to date."""
    lookback = timedelta(minutes=current_app.config["ROLLUP_REFRESH_LOOKBACK_MINUTES"])
    result = refresh(db.session, lookback=lookback)
    return f"refreshed {result.hours} hours ({result.rows} rollup rows), watermark {result.watermark}"


def _drop_old_chunks():
    ages = retention.ages(retention.hypertables(db.session), current_app.config)
    dropped = retention.drop_old_chunks(db.session, ages=ages, now=utcnow())
    total = sum(dropped.values())
    detail = ", ".join(f"{table} {count}" for table, count in dropped.items() if count) or "nothing to drop"
    return f"{total} chunks dropped ({detail})"


def _prune_wifi_sessions():
    days = current_app.config["WIFI_SESSIONS_RETENTION_DAYS"]
    sessions, clients = wifi_sessions.prune(days=days)
    return f"deleted {sessions} WiFi sessions older than {days} days and {clients} WiFi clients"


def _prune_accounts():
    expired = sessions.prune()
    counts, addresses = login_throttle.prune()
    return (f"deleted {expired} expired browser sessions, {counts} forgotten login counts "
            f"and {addresses} known login addresses")


def _prune_events():
    return f"deleted {events.prune(seconds=current_app.config['EVENTS_RETENTION_SECONDS'])} old events"


def default_jobs(config) -> list[Job]:
    """The jobs with their periods from the settings, in the order a pass runs them."""
    def seconds(name: str) -> timedelta:
        return timedelta(seconds=config[name])

    return [
        Job("recovery-checks", seconds("RECOVERY_CHECKS_INTERVAL_SECONDS"), _run_requested_checks),
        Job("maintenance", seconds("MAINTENANCE_INTERVAL_SECONDS"), _release_held_notifications),
        Job("webhooks", seconds("WEBHOOK_INTERVAL_SECONDS"), _deliver_webhooks),
        Job("emails", seconds("EMAIL_INTERVAL_SECONDS"), _deliver_emails),
        Job("checks", seconds("CHECKS_INTERVAL_SECONDS"), _run_checks),
        Job("rollups", seconds("ROLLUP_REFRESH_INTERVAL_SECONDS"), _refresh_rollups),
        Job("retention", seconds("RETENTION_INTERVAL_SECONDS"), _drop_old_chunks),
        Job("wifi-sessions", seconds("WIFI_SESSIONS_PRUNE_INTERVAL_SECONDS"), _prune_wifi_sessions),
        Job("accounts", seconds("ACCOUNTS_PRUNE_INTERVAL_SECONDS"), _prune_accounts),
        Job("events", seconds("EVENTS_PRUNE_INTERVAL_SECONDS"), _prune_events),
    ]
