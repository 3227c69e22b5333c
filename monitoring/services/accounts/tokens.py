"""API tokens: issued on login with username and password, stored only as a digest.

A user can list their tokens (when each was issued and last used), rotate the token they
call with (a new one replaces it in one transaction) and revoke any of theirs. A token older
than ``API_TOKEN_MAX_AGE_DAYS`` (when set) no longer authenticates, and changing a password
revokes the account's other tokens.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import ApiToken, User, utcnow

# ``last_used`` is a hint for deciding which tokens to revoke: writing it on every request
# would turn each read into a write, so it is refreshed at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(user: User) -> str:
    token = secrets.token_hex(20)
    db.session.add(ApiToken(user_id=user.id, key_digest=digest(token)))
    return token


def issue_token(*, user: User) -> str:
    """Create a new token for ``user`` and return it; it is shown only this once."""
    token = _new_token(user)
    user.last_login = utcnow()
    db.session.commit()
    return token


def _expired(row: ApiToken) -> bool:
    max_age_days = current_app.config.get("API_TOKEN_MAX_AGE_DAYS") or 0
    return max_age_days > 0 and row.created < utcnow() - timedelta(days=max_age_days)


def token_row(token: str) -> ApiToken | None:
    """The stored token ``token`` is, if it exists and has not expired; notes its use."""
    row = db.session.execute(
        select(ApiToken).where(ApiToken.key_digest == digest(token))
    ).scalar_one_or_none()
    if row is None or _expired(row):
        return None
    now = utcnow()
    if row.last_used is None or now - row.last_used > LAST_USED_RESOLUTION:
        # On a connection of its own: committing the request's session here would expire
        # the token and user just loaded, and they would be read again.
        with db.engine.begin() as connection:
            connection.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used=now))
    return row


def list_tokens(*, user: User) -> list[ApiToken]:
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created.desc(), ApiToken.id)
    ).scalars())


def rotate_token(*, user: User, current_id: uuid.UUID) -> str:
    """A new token for ``user``; the one with ``current_id`` is revoked in the same commit,
    so there is never a moment with neither or (after the answer) both."""
    db.session.execute(delete(ApiToken).where(ApiToken.id == current_id, ApiToken.user_id == user.id))
    token = _new_token(user)
    db.session.commit()
    return token


def revoke(*, user: User, token_id: uuid.UUID) -> None:
    """Revoke one of ``user``'s own tokens; anybody else's is not found."""
    deleted = db.session.execute(
        delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    ).rowcount
    if not deleted:
        db.session.rollback()
        errors.not_found("token")
    db.session.commit()


def revoke_others(*, user: User, keep_id: uuid.UUID | None) -> None:
    """Revoke every token of ``user`` but ``keep_id`` (the caller's own, when a user changes
    their own password with it). Part of the caller's transaction: no commit here."""
    statement = delete(ApiToken).where(ApiToken.user_id == user.id)
    if keep_id is not None:
        statement = statement.where(ApiToken.id != keep_id)
    db.session.execute(statement)
