"""Who is calling: bearer token, browser session, or (for device endpoints) a device key.

The caller is resolved once per request and cached on ``flask.g``. Views state what they
need with ``require_user`` / ``require_manager`` / ``require_superuser``, or let a device in
with ``device_by_key``; the 401/403/404 codes and messages follow the reference API
(docs/api.md §0.4). Services never look here: the views pass them the user or the device.
"""
from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, wraps
from typing import NoReturn, Protocol, TypeVar

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from monitoring import errors
from monitoring.extensions import csrf
from monitoring.models import BrowserSession, User
from monitoring.security_schemes import DEVICE_AUTH, USER_AUTH
from monitoring.services.accounts import sessions, tokens
from monitoring.tenancy import is_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The key of the server-side session (monitoring/services/accounts/sessions.py) in the signed cookie.
SESSION_KEY = "session_key"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed session cookie, marked Secure on HTTPS requests unless
    SESSION_COOKIE_SECURE is set either way: behind a TLS-terminating proxy the request is
    HTTPS when the proxy is trusted (TRUSTED_PROXY_COUNT) and says so in X-Forwarded-Proto."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = app.config["SESSION_COOKIE_SECURE"]
        return request.is_secure if configured is None else configured

    def open_session(self, app: Flask, request) -> SessionMixin | None:
        # Most requests carry no session cookie (every device POST, token clients): they get
        # an empty session without the signing serializer Flask builds first, which cost a
        # device POST 3 % of its Python time.
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()


def login_session(user: User) -> None:
    """Start a server-side session for ``user`` and put its key in the cookie."""
    session.clear()
    session[SESSION_KEY] = sessions.start(user=user)
    session.permanent = True


def logout_session() -> None:
    """End this browser's session on the server (a copy of the cookie stops working too)."""
    key = session.get(SESSION_KEY)
    if isinstance(key, str):
        sessions.end(key)
    session.clear()


def _session_row() -> BrowserSession | None:
    """The server-side session the cookie names, if it is still valid."""
    key = session.get(SESSION_KEY)
    if not isinstance(key, str):
        return None
    row = sessions.find(key)
    if row is None or not row.user.is_active:
        session.clear()
        return None
    return row


def _user_from_bearer(header: str) -> User:
    parts = header.split()
    if len(parts) == 1:
        errors.not_authenticated("Invalid token header. No credentials provided.")
    if len(parts) > 2:
        errors.not_authenticated("Invalid token header. Token string should not contain spaces.")
    row = tokens.token_row(parts[1])
    if row is None:
        errors.not_authenticated(errors.INVALID_TOKEN)
    user = row.user
    g.auth_token_id = row.id
    if not user.is_active:
        errors.not_authenticated("User inactive or deleted.")
    return user


def _session_user() -> User | None:
    """The user of the browser session, if any, whatever ``Authorization`` says: what the
    device detail looks at besides a wrong key."""
    row = _session_row()
    return row.user if row is not None else None


def current_user() -> User | None:
    """The authenticated user of this request, or None for an anonymous caller."""
    if "auth_user" in g:
        return g.auth_user
    user = None
    g.auth_token_id = None
    g.auth_session_id = None
    header = request.headers.get("Authorization", "")
    if header.split(" ", 1)[0].lower() == "bearer":
        user = _user_from_bearer(header)
    else:
        row = _session_row()
        if row is not None:
            user, g.auth_session_id = row.user, row.id
        if user is not None and request.method not in SAFE_METHODS:
            # A cookie is sent by the browser on its own: unsafe requests must prove they
            # come from our pages. Token requests carry no ambient credentials.
            csrf.protect()
    g.auth_user = user
    # Kept apart from the user object: after a rollback its attributes are expired, and
    # reading them (the request log does, after a 503) would ask the database again.
    g.auth_user_id = user.id if user is not None else None
    return user


def require_user() -> User:
    user = current_user()
    if user is None:
        errors.not_authenticated()
    return user


def require_manager() -> User:
    """A superuser or the manager of at least one active organization."""
    user = require_user()
    if not is_manager(user):
        errors.forbidden(errors.NOT_MANAGER)
    return user


def require_superuser() -> User:
    user = require_user()
    if not user.is_superuser:
        errors.forbidden()
    return user


def _access(check):
    """Decorator running ``check`` before anything else of the view, argument parsing
    included: an anonymous caller gets 401, never a validation error. It also declares the
    user security schemes in the OpenAPI document."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            check()
            return view(*args, **kwargs)

        return declare_security(wrapper, USER_AUTH)

    return decorator


def declare_security(view, security: list[dict]):
    """Lists ``security`` as the ways to call ``view`` in the OpenAPI document."""
    apidoc = view.__dict__.setdefault("_apidoc", {})
    apidoc.setdefault("manual_doc", {}).setdefault("security", security)
    return view


# --- Device keys ------------------------------------------------------------------------
#
# Three endpoints let a device in with its own key (``?key=``), and each refuses as the
# reference does (docs/api.md §0.4, §3, §4.2, §5):
#
# | endpoint                  | device not found¹    | wrong or missing key          | deactivated device |
# |---------------------------|----------------------|-------------------------------|--------------------|
# | device sample POST (§4.2) | 404 No Device …      | 403 Authentication …          | 404 Not found.     |
# | device detail GET (§3)    | 404 No DeviceData …  | 403 Authentication …, or to a | let in (readable)  |
# |                           |                      | logged-in browser session 403 |                    |
# |                           |                      | You do not have permission …  |                    |
# | nearby devices GET (§5)   | 404 No Location …    | 404 No Location …             | 404 No Location …  |
#
# ¹ what the endpoint's own lookup finds for the id of the path: nothing for a device that
#   does not exist, is in a disabled organization or (nearby devices) has no location.
# "No X …" is "No X matches the given query."; "Authentication …" is "Authentication
# credentials were not provided."


class KeyedDevice(Protocol):
    """What judging a device key reads of the device an endpoint looked up."""

    key: str
    is_deactivated: bool


KeyedT = TypeVar("KeyedT", bound=KeyedDevice)


@dataclass(frozen=True)
class KeyPolicy:
    """How one device-key endpoint refuses: each field raises the error it answers."""

    not_found: Callable[[], NoReturn]
    wrong_key: Callable[[], NoReturn]
    deactivated: Callable[[], NoReturn] | None  # None: a deactivated device is let in


def _wrong_key_to_browser_or_device() -> NoReturn:
    # The reference's wording depends on whether a browser session is logged in.
    errors.forbidden(errors.NO_PERMISSION if _session_user() is not None else errors.NOT_AUTHENTICATED)


DEVICE_SAMPLE_KEY = KeyPolicy(
    not_found=partial(errors.not_found, "Device"),
    wrong_key=partial(errors.forbidden, errors.NOT_AUTHENTICATED),  # sessions are not looked at
    deactivated=errors.not_found,
)
DEVICE_DETAIL_KEY = KeyPolicy(
    not_found=partial(errors.not_found, "DeviceData"),  # the reference's view serves the device's data
    wrong_key=_wrong_key_to_browser_or_device,
    deactivated=None,
)
NEARBY_DEVICES_KEY = KeyPolicy(
    not_found=partial(errors.not_found, "Location"),
    wrong_key=partial(errors.not_found, "Location"),
    deactivated=partial(errors.not_found, "Location"),
)


def device_by_key(policy: KeyPolicy, device: KeyedT | None, key: str | None) -> KeyedT:
    """``device`` if ``key`` is its key, else the refusal of ``policy``; the checks run in the
    reference's order: found, key, deactivated. ``device`` is what the endpoint's lookup
    found (None: nothing). Only judges, never queries: the device POST pays nothing more
    than its own lookup."""
    if device is None:
        policy.not_found()
    # Constant-time comparison: response timing must not reveal how much of a key matched.
    if not key or not hmac.compare_digest(key.encode(), device.key.encode()):
        policy.wrong_key()
    if device.is_deactivated and policy.deactivated is not None:
        policy.deactivated()
    return device


def key_or_user(*, by_key: Callable, by_user: Callable, into: str):
    """Decorator for the GET views a device or a manager may call: with a non-empty ``key``
    the key alone decides (``by_key(pk, key)``, user credentials are not looked at);
    without one, or with ``key=``, the caller must be a manager (``by_user(user, pk)``).
    The caller is let in, or not, before any parameter is parsed (no 400 to a stranger),
    and what the resolver returns reaches the view as ``into``."""

    def resolve(pk):
        key = request.args.get("key")
        return by_key(pk, key) if key else by_user(require_manager(), pk)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, pk, **kwargs):
            return view(*args, **{into: resolve(pk)}, **kwargs)

        return declare_security(wrapper, USER_AUTH + DEVICE_AUTH)

    return decorator


user_required = _access(require_user)
manager_required = _access(require_manager)
superuser_required = _access(require_superuser)


def authenticated_user() -> User:
    """The user a ``*_required`` decorator has already let in."""
    return g.auth_user


def authenticating_token_id() -> uuid.UUID | None:
    """The id of the bearer token this request authenticated with (None for a session)."""
    return g.get("auth_token_id")


def authenticating_session_id() -> uuid.UUID | None:
    """The id of the browser session this request authenticated with (None for a token)."""
    return g.get("auth_session_id")
