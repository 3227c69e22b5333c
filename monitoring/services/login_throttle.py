"""Login throttling: too many failed logins for one username, or from one client address,
lock further attempts for a while.

Counts live in PostgreSQL (``login_throttle``) so that every gunicorn worker and every host
behind the load balancer sees the same failures. Each failure is one upsert, so concurrent
failures are all counted.
"""
from __future__ import annotations

import math

from flask import current_app
from sqlalchemy import text

from monitoring.extensions import db

# The failure count after this one: a window that has run out starts again from 1.
_NEXT_COUNT = (
    "CASE WHEN login_throttle.window_started_at <= now() - make_interval(secs => :window)"
    " THEN 1 ELSE login_throttle.failures + 1 END"
)

# Reaching the limit sets the lock and starts a fresh count, so after the lock the limit
# applies anew instead of one more failure locking again at once.
_RECORD_FAILURE = text(f"""
INSERT INTO login_throttle AS login_throttle (key, failures, window_started_at, locked_until)
VALUES (:key, CASE WHEN :limit <= 1 THEN 0 ELSE 1 END, now(),
        CASE WHEN :limit <= 1 THEN now() + make_interval(secs => :lock) END)
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN {_NEXT_COUNT} >= :limit THEN 0 ELSE {_NEXT_COUNT} END,
    window_started_at = CASE
        WHEN {_NEXT_COUNT} >= :limit OR {_NEXT_COUNT} = 1 THEN now()
        ELSE login_throttle.window_started_at END,
    locked_until = CASE
        WHEN {_NEXT_COUNT} >= :limit THEN now() + make_interval(secs => :lock)
        ELSE login_throttle.locked_until END
""")

_LOCKED_FOR = text("""
SELECT EXTRACT(EPOCH FROM max(locked_until) - now()) FROM login_throttle
WHERE key = ANY(:keys) AND locked_until > now()
""")

# Usernames are at most 150 characters; longer input is cut so the key always fits.
_MAX_KEY_PART = 180


def throttle_keys(*, username: str, address: str | None) -> list[str]:
    """The counters a login attempt is charged to: its username and its client address."""
    keys = [f"user:{username[:_MAX_KEY_PART]}"]
    if address:
        keys.append(f"addr:{address[:_MAX_KEY_PART]}")
    return keys


def locked_for(keys: list[str]) -> int:
    """Seconds until a login with these keys may be tried again; 0 when it may now."""
    remaining = db.session.execute(_LOCKED_FOR, {"keys": keys}).scalar()
    return math.ceil(remaining) if remaining else 0


def record_failure(keys: list[str]) -> None:
    """Count a failed login against each key, locking the keys that reach the limit."""
    config = current_app.config
    params = {
        "limit": config["LOGIN_MAX_FAILURES"],
        "window": config["LOGIN_FAILURE_WINDOW_SECONDS"],
        "lock": config["LOGIN_LOCK_SECONDS"],
    }
    for key in sorted(keys):  # one order everywhere: concurrent upserts never deadlock
        db.session.execute(_RECORD_FAILURE, {**params, "key": key})
    db.session.commit()


def record_success(*, username: str) -> None:
    """A correct password clears its username's failures. The address's failures stay: one
    valid account must not let its holder reset the count while guessing other users'."""
    db.session.execute(text("DELETE FROM login_throttle WHERE key = :key"),
                       {"key": throttle_keys(username=username, address=None)[0]})
    db.session.commit()


class LoginLocked(Exception):
    """Too many recent failures: ``retry_after`` seconds until the next attempt is looked at."""

    def __init__(self, retry_after: int):
        super().__init__(f"login locked for {retry_after} s")
        self.retry_after = retry_after


def attempt_login(*, username: str, password: str, address: str | None):
    """The active user with these credentials, or None; raises LoginLocked while the
    username or the address is locked (the password is then not even checked)."""
    from monitoring.services.users import authenticate

    keys = throttle_keys(username=username, address=address)
    retry_after = locked_for(keys)
    if retry_after:
        raise LoginLocked(retry_after)
    user = authenticate(username=username, password=password)
    if user is None:
        record_failure(keys)
    else:
        record_success(username=username)
    return user
