"""Users and their organization memberships.

A manager sees and changes the non-superuser members of the organizations they manage, and
only the memberships of those organizations; memberships elsewhere stay untouched and unseen.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, false, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import OrganizationUser, User
from monitoring.pagination import paginate
from monitoring.services.accounts import login_throttle, sessions, tokens
from monitoring.services.common import check_organization, commit
from monitoring.tenancy import managed_organization_ids, manages

LABEL = "User"
DUPLICATE = {"username": ["A user with that username already exists."]}
CURRENT_PASSWORD_REQUIRED = {"current_password": ["This field is required."]}
CURRENT_PASSWORD_WRONG = {"current_password": ["Your current password was entered incorrectly."]}


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def authenticate(*, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        # Same work either way, so response time does not reveal which usernames exist.
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY:
        _DUMMY[method] = generate_password_hash("not-a-password", method=method)
    return _DUMMY[method]


def visible_memberships(user: User, *, viewer: User) -> list[OrganizationUser]:
    """The memberships of ``user`` that ``viewer`` may see: those of the organizations
    ``viewer`` manages."""
    return [m for m in user.memberships if manages(viewer, m.organization_id)]


def _visible_statement(viewer: User):
    # Every listed user shows memberships: load them for the whole page at once.
    statement = select(User).options(selectinload(User.memberships))
    ids = managed_organization_ids(viewer)
    if ids is not None:
        statement = statement.where(
            User.is_superuser.is_(False),
            exists().where(OrganizationUser.user_id == User.id, OrganizationUser.organization_id.in_(ids)),
        )
    return statement


def list_page(*, user: User, page=None, page_size=None, organization=None) -> dict:
    statement = _visible_statement(user)
    if organization is not None:
        if not manages(user, organization):
            # Memberships of organizations the viewer does not manage are not theirs to see.
            statement = statement.where(false())
        statement = statement.where(
            exists().where(OrganizationUser.user_id == User.id, OrganizationUser.organization_id == organization)
        )
    return paginate(statement.order_by(User.username, User.id), page=page, page_size=page_size)


def get(*, user: User, user_id: uuid.UUID) -> User:
    if user_id == user.id:
        return user
    target = db.session.execute(_visible_statement(user).where(User.id == user_id)).scalar_one_or_none()
    if target is None:
        errors.not_found(LABEL)
    return target


def _check_username_free(username: str, *, exclude=None) -> None:
    statement = select(User.id).where(User.username == username)
    if exclude is not None:
        statement = statement.where(User.id != exclude)
    if db.session.execute(statement).first():
        errors.invalid(DUPLICATE)


def _set_memberships(target: User, memberships: list[dict], *, viewer: User) -> None:
    """Replace the memberships ``viewer`` manages; leave the others as they are."""
    wanted = {}
    for item in memberships:
        check_organization(item["organization_id"], user=viewer, field="organization_users")
        wanted[item["organization_id"]] = item.get("is_admin", False)
    for membership in list(target.memberships):
        if manages(viewer, membership.organization_id) and membership.organization_id not in wanted:
            target.memberships.remove(membership)
    current = {m.organization_id: m for m in target.memberships}
    for organization_id, is_admin in wanted.items():
        if organization_id in current:
            current[organization_id].is_admin = is_admin
        else:
            target.memberships.append(OrganizationUser(organization_id=organization_id, is_admin=is_admin))


def _log_out_everywhere(user: User, *, keep_session_id: uuid.UUID | None = None,
                        keep_token_id: uuid.UUID | None = None) -> None:
    """End every browser session of ``user`` and revoke every API token, but the ones kept.
    Part of the caller's transaction: no commit here."""
    sessions.end_all(user=user, keep_id=keep_session_id)
    tokens.revoke_others(user=user, keep_id=keep_token_id)


def log_out_everywhere(*, user: User) -> None:
    """End every browser session of ``user`` and revoke every API token of theirs, the ones
    of the request included."""
    _log_out_everywhere(user)
    db.session.commit()


@dataclass(frozen=True)
class CallerCredentials:
    """The browser session or API token a request authenticated with (the other is None)."""

    session_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None


def _set_password(target: User, password: str, *, viewer: User, credentials: CallerCredentials) -> None:
    target.password_hash = hash_password(password)
    if target.id is not None:
        # A changed password shuts out whoever held the old one: every session and token
        # ends, but the one making this change when users change their own.
        own = target.id == viewer.id
        _log_out_everywhere(target, keep_session_id=credentials.session_id if own else None,
                            keep_token_id=credentials.token_id if own else None)


def _check_current_password(user: User, data: dict, *, address: str | None) -> None:
    """Users changing their own password must give the current one: a session or token left
    open somewhere is not enough to take the account over. Wrong guesses are throttled like
    failed logins."""
    current = data.get("current_password")
    if not current:
        errors.invalid(CURRENT_PASSWORD_REQUIRED)
    try:
        verified = login_throttle.attempt_login(username=user.username, password=current,
                                                address=address)
    except login_throttle.LoginLocked as locked:
        errors.too_many_logins(locked.retry_after)
    if verified is None:
        errors.invalid(CURRENT_PASSWORD_WRONG)


def _apply(target: User, data: dict, *, viewer: User,
           credentials: CallerCredentials = CallerCredentials()) -> None:
    if data.get("is_superuser") and not viewer.is_superuser:
        errors.forbidden("Only superusers can grant superuser status.")
    deactivated = target.id is not None and target.is_active and data.get("is_active") is False
    for name in ("username", "email", "first_name", "last_name", "is_superuser", "is_active"):
        if name in data and data[name] is not None:
            setattr(target, name, data[name])
    if data.get("password"):
        _set_password(target, data["password"], viewer=viewer, credentials=credentials)
    if deactivated:
        # Reactivating the account later must not bring its old sessions and tokens back.
        _log_out_everywhere(target)
    if data.get("organization_users") is not None:
        _set_memberships(target, data["organization_users"], viewer=viewer)


def create(*, user: User, data: dict) -> User:
    if not data.get("password"):
        errors.invalid({"password": ["This field is required."]})
    if not user.is_superuser and not data.get("organization_users"):
        # Otherwise the new user would be invisible to the manager who created it.
        errors.invalid({"organization_users": ["Add the user to at least one organization you manage."]})
    _check_username_free(data["username"])
    target = User(username=data["username"], password_hash="")
    db.session.add(target)
    _apply(target, data, viewer=user)
    commit(DUPLICATE)
    return target


# Changing these takes over an account, or changes how it appears to the user's other
# tenants: only for whoever manages all of the user's organizations (or a superuser).
ACCOUNT_FIELDS = ("username", "email", "password", "is_active", "first_name", "last_name")


def _belongs_elsewhere(target: User, *, viewer: User) -> bool:
    return not viewer.is_superuser and any(not manages(viewer, m.organization_id) for m in target.memberships)


def update(*, user: User, user_id: uuid.UUID, data: dict, address: str | None,
           credentials: CallerCredentials) -> User:
    """Change a user; ``address`` is the caller's, for the throttled check of the current
    password when users change their own, and ``credentials`` the session or token they
    keep when they do."""
    target = get(user=user, user_id=user_id)
    if target.id != user.id and _belongs_elsewhere(target, viewer=user) and any(
        name in data and data[name] != getattr(target, name, None) for name in ACCOUNT_FIELDS
    ):
        errors.forbidden("The user belongs to organizations you do not manage: "
                         "only their memberships of your organizations can be changed.")
    if target.id == user.id and data.get("password"):
        _check_current_password(user, data, address=address)
    if "username" in data:
        _check_username_free(data["username"], exclude=target.id)
    _apply(target, data, viewer=user, credentials=credentials)
    commit(DUPLICATE)
    return target


def delete(*, user: User, user_id: uuid.UUID) -> None:
    target = get(user=user, user_id=user_id)
    if _belongs_elsewhere(target, viewer=user):
        errors.forbidden("The user belongs to organizations you do not manage.")
    db.session.delete(target)
    db.session.commit()


def ensure_superuser(*, username: str, password: str, email: str = "") -> tuple[User, bool]:
    """Create a superuser, or promote an existing user and reset its password (which ends
    its sessions and revokes its tokens, as any password change does)."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    created = user is None
    if created:
        user = User(username=username, password_hash="")
        db.session.add(user)
    else:
        _log_out_everywhere(user)
    user.password_hash = hash_password(password)
    user.is_superuser = True
    user.is_active = True
    if email:
        user.email = email
    db.session.commit()
    return user, created
