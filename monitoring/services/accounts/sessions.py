"""Browser sessions, kept on the server.

The session cookie is signed, so nobody can forge one, but a signed cookie alone cannot be
taken back: a copy made before a logout would keep working until it expires. So the cookie
only carries a random key, and a session is valid while its row (the key's SHA-256 digest)
exists in ``browser_sessions`` and has not expired. Logging out deletes the row; logging
out everywhere deletes them all.
"""
from __future__ import annotations

import secrets
import uuid

from flask import current_app
from sqlalchemy import delete, func, select

from monitoring.extensions import db
from monitoring.models import BrowserSession, User, utcnow
from monitoring.services.accounts.tokens import digest


def start(*, user: User) -> str:
    """A new session for ``user``; returns its key, for the cookie only. Commits."""
    key = secrets.token_urlsafe(32)
    expires_at = utcnow() + current_app.permanent_session_lifetime
    db.session.add(BrowserSession(user_id=user.id, key_digest=digest(key), expires_at=expires_at))
    db.session.commit()
    return key


def find(key: str) -> BrowserSession | None:
    """The unexpired session with this key, its user loaded, or None."""
    return db.session.execute(
        select(BrowserSession).where(BrowserSession.key_digest == digest(key), BrowserSession.expires_at > func.now())
    ).scalar_one_or_none()


def end(key: str) -> None:
    """End the session with this key, if it exists. Commits."""
    db.session.execute(delete(BrowserSession).where(BrowserSession.key_digest == digest(key)))
    db.session.commit()


def end_all(*, user: User, keep_id: uuid.UUID | None = None) -> None:
    """End every session of ``user`` but ``keep_id``. Part of the caller's transaction: no
    commit here."""
    statement = delete(BrowserSession).where(BrowserSession.user_id == user.id)
    if keep_id is not None:
        statement = statement.where(BrowserSession.id != keep_id)
    db.session.execute(statement)


def prune() -> int:
    """Delete the expired sessions; returns how many. Commits."""
    deleted = db.session.execute(delete(BrowserSession).where(BrowserSession.expires_at <= func.now())).rowcount
    db.session.commit()
    return deleted
