"""Login throttling: failed logins slow an attacker down, without locking the owner out.

Each attempt is charged to three counts of failures:

- its username from its client address (the *pair*), limit ``LOGIN_MAX_FAILURES``;
- its username from anywhere, limit ``LOGIN_MAX_FAILURES_PER_USERNAME`` (one account
  attacked from many addresses);
- its address for any username, limit ``LOGIN_MAX_FAILURES_PER_ADDRESS``, much higher:
  behind a proxy or a NAT many people share one address.

Past its limit, a count makes the next attempt wait 1, 2, 4 … seconds after the last failure,
never more than ``LOGIN_MAX_DELAY_SECONDS``: an attempt that comes too early is answered 429
with ``Retry-After``, its password is not looked at and it is not counted. A count is
forgotten ``LOGIN_FAILURE_WINDOW_SECONDS`` after its last failure. There are no long locks:
at worst the owner waits a few minutes.

A correct password from an address the user has logged in from (within
``LOGIN_KNOWN_ADDRESS_DAYS``, table ``login_known_addresses``) only answers to its pair's
count: an attacker elsewhere, or another user behind the same address, does not keep the
owner out. A successful login forgets its pair's failures and remembers the address.

Counts live in PostgreSQL (``login_throttle``) so that every worker and host sees the same
failures. An attempt is counted *before* its password is checked, by one statement per count
that refuses when the count makes it wait; concurrent guesses therefore cannot all slip
through a check made before any of them was counted. A correct password then takes its
count back.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text

from monitoring.extensions import db
from monitoring.models import User

# The failure count after this one: a count whose last failure is older than the window
# starts again from 1.
_NEXT_COUNT = (
    "CASE WHEN login_throttle.last_failure_at <= now() - make_interval(secs => :window)"
    " THEN 1 ELSE login_throttle.failures + 1 END"
)
# When the next attempt may come, once a count has reached ``{count}`` failures: 2^k seconds
# after this failure, k the failures beyond the limit (the exponent is bounded so that the
# power never overflows; the cap is far smaller anyway).
_WAIT_UNTIL = (
    "CASE WHEN {count} >= :limit THEN now() + make_interval(secs => "
    "least(power(2, least({count} - :limit, 30)), :max_delay)) END"
)

# One more failure for a count, unless it makes attempts wait now (then no row comes back)
# or ``force`` says the failure happened anyway. The row lock of the upsert orders
# concurrent attempts: each one sees the count its predecessor left.
_COUNT_FAILURE = text(f"""
INSERT INTO login_throttle AS login_throttle (key, failures, last_failure_at, locked_until)
VALUES (:key, 1, now(), {_WAIT_UNTIL.format(count="1")})
ON CONFLICT (key) DO UPDATE SET
    failures = {_NEXT_COUNT},
    last_failure_at = now(),
    locked_until = {_WAIT_UNTIL.format(count=_NEXT_COUNT)}
WHERE :force OR login_throttle.locked_until IS NULL OR login_throttle.locked_until <= now()
RETURNING key
""")

# A counted attempt turned out to be a correct password: it was no failure.
_TAKE_BACK = text("""
UPDATE login_throttle SET failures = greatest(failures - 1, 0),
                          locked_until = CASE WHEN failures - 1 >= :limit THEN locked_until END
WHERE key = :key
""")

_FORGET = text("DELETE FROM login_throttle WHERE key = :key")

_WAIT_SECONDS = text("""
SELECT EXTRACT(EPOCH FROM max(locked_until) - now()) FROM login_throttle
WHERE key = ANY(:keys) AND locked_until > now()
""")

_IS_KNOWN = text("""
SELECT 1 FROM login_known_addresses JOIN users ON users.id = login_known_addresses.user_id
WHERE users.username = :username AND login_known_addresses.address = :address
  AND login_known_addresses.last_login_at > now() - make_interval(days => :days)
""")

_REMEMBER = text("""
INSERT INTO login_known_addresses (user_id, address, last_login_at) VALUES (:user_id, :address, now())
ON CONFLICT (user_id, address) DO UPDATE SET last_login_at = now()
""")

_PRUNE_COUNTS = text("""
DELETE FROM login_throttle
WHERE last_failure_at <= now() - make_interval(secs => :window) AND (locked_until IS NULL OR locked_until <= now())
""")
_PRUNE_ADDRESSES = text("DELETE FROM login_known_addresses WHERE last_login_at <= now() - make_interval(days => :days)")

# Usernames have at most 150 characters, addresses far fewer: longer input is cut so that
# every key fits its column.
_MAX_USERNAME = 150
_MAX_ADDRESS = 100
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class Count:
    """One count of failures an attempt is charged to, and its limit."""

    key: str
    limit: int


@dataclass(frozen=True)
class Counts:
    pair: Count
    username: Count
    address: Count


class LoginLocked(Exception):
    """Too many recent failures: ``retry_after`` seconds until the next attempt is looked at."""

    def __init__(self, retry_after: int):
        super().__init__(f"login attempts wait {retry_after} s")
        self.retry_after = retry_after


def counts_for(*, username: str, address: str) -> Counts:
    """The counts a login attempt with this username from this address is charged to."""
    config = current_app.config
    username, address = username[:_MAX_USERNAME], address[:_MAX_ADDRESS]
    return Counts(
        pair=Count(f"pair:{address} {username}", config["LOGIN_MAX_FAILURES"]),
        username=Count(f"user:{username}", config["LOGIN_MAX_FAILURES_PER_USERNAME"]),
        address=Count(f"addr:{address}", config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    )


def _count_failures(counts: list[Count], *, force: bool = False) -> None:
    """One more failure for each count, in one transaction; unless ``force``, refuse with
    LoginLocked (counting nothing) when any of them makes attempts wait now."""
    config = current_app.config
    params = {"window": config["LOGIN_FAILURE_WINDOW_SECONDS"], "max_delay": config["LOGIN_MAX_DELAY_SECONDS"],
              "force": force}
    for count in sorted(counts, key=lambda c: c.key):  # one order everywhere: no deadlocks
        counted = db.session.execute(_COUNT_FAILURE, {**params, "key": count.key, "limit": count.limit}).first()
        if counted is None:
            db.session.rollback()
            raise LoginLocked(_seconds_to_wait(counts))
    db.session.commit()


def _seconds_to_wait(counts: list[Count]) -> int:
    remaining = db.session.execute(_WAIT_SECONDS, {"keys": [c.key for c in counts]}).scalar()
    return max(1, math.ceil(remaining or 0))


def _is_known(*, username: str, address: str) -> bool:
    days = current_app.config["LOGIN_KNOWN_ADDRESS_DAYS"]
    return db.session.execute(_IS_KNOWN, {"username": username, "address": address, "days": days}).first() is not None


def _succeeded(user: User, counts: Counts, *, charged: list[Count], address: str) -> None:
    """A correct password: the pair's failures are forgotten, the attempt's charge to the
    other counts taken back, and the address remembered for this user."""
    for count in sorted(charged, key=lambda c: c.key):
        if count == counts.pair:
            db.session.execute(_FORGET, {"key": count.key})
        else:
            db.session.execute(_TAKE_BACK, {"key": count.key, "limit": count.limit})
    db.session.execute(_REMEMBER, {"user_id": user.id, "address": address})
    db.session.commit()


def attempt_login(*, username: str, password: str, address: str | None) -> User | None:
    """The active user with these credentials, or None; raises LoginLocked when the attempt
    must wait (the password is then not even checked). Commits."""
    # Imported here: users imports this module (a password change is throttled like a login).
    from monitoring.services.accounts.users import authenticate

    address = (address or UNKNOWN_ADDRESS)[:_MAX_ADDRESS]
    counts = counts_for(username=username, address=address)
    known = _is_known(username=username, address=address)
    charged = [counts.pair] if known else [counts.pair, counts.username, counts.address]
    _count_failures(charged)
    user = authenticate(username=username, password=password)
    if user is None:
        if known:
            # Not held up by them, but a failure all the same.
            _count_failures([counts.username, counts.address], force=True)
        return None
    _succeeded(user, counts, charged=charged, address=address)
    return user


def prune() -> tuple[int, int]:
    """Delete forgotten counts and addresses not logged in from for LOGIN_KNOWN_ADDRESS_DAYS;
    returns how many of each. Commits."""
    config = current_app.config
    counts = db.session.execute(_PRUNE_COUNTS, {"window": config["LOGIN_FAILURE_WINDOW_SECONDS"]}).rowcount
    addresses = db.session.execute(_PRUNE_ADDRESSES, {"days": config["LOGIN_KNOWN_ADDRESS_DAYS"]}).rowcount
    db.session.commit()
    return counts, addresses
