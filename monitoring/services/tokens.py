"""API tokens: issued on login with username and password, stored only as a digest."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import ApiToken, User, utcnow


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, user: User) -> str:
    """Create a new token for ``user`` and return it; it is shown only this once."""
    token = secrets.token_hex(20)
    db.session.add(ApiToken(user_id=user.id, key_digest=digest(token)))
    user.last_login = utcnow()
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.execute(
        select(ApiToken).where(ApiToken.key_digest == digest(token))
    ).scalar_one_or_none()
    return row.user if row else None


def revoke_token(*, token: str) -> bool:
    row = db.session.execute(
        select(ApiToken).where(ApiToken.key_digest == digest(token))
    ).scalar_one_or_none()
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True
