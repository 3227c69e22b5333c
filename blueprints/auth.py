"""Browser session login and logout; the session then authenticates API requests, with
a CSRF token required for unsafe methods. Sessions are kept on the server: logging out ends
them for good, on one browser or everywhere."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import jsonify, redirect, render_template, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from monitoring import errors
from monitoring.auth import authenticated_user, current_user, login_session, logout_session, user_required
from monitoring.extensions import Blueprint
from monitoring.services.accounts import login_throttle, users
from schemas.common import ErrorSchema

blp = Blueprint(
    "auth", __name__, url_prefix="/api/v1/auth",
    description="Browser sessions. Unsafe requests authenticated by the session cookie must "
    "send the token from `GET /api/v1/auth/csrf/` in an `X-CSRFToken` header.",
)


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after login (no open redirect). Browsers read a
    backslash as a slash, so ``/\\evil.example`` would leave the site."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return "/api/v1/docs/"


@blp.route("/login/", methods=["GET", "POST"])
@blp.doc(security=[])
def login():
    """Log in with a form (HTML); the browser keeps a session cookie"""
    next_url = _safe_next(request.args.get("next"))
    if request.method == "GET":
        return render_template("login.html", user=current_user(), next=next_url, error=None)
    error = None
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        error = "Your form expired, please try again."
    if error is None:
        try:
            user = login_throttle.attempt_login(
                username=request.form.get("username", ""), password=request.form.get("password", ""),
                address=request.remote_addr,
            )
        except login_throttle.LoginLocked as locked:
            error = errors.TOO_MANY_LOGINS.format(seconds=locked.retry_after)
            page = render_template("login.html", user=None, next=next_url, error=error)
            return page, 429, {"Retry-After": str(locked.retry_after)}
        if user is not None:
            login_session(user)
            return redirect(next_url, code=303)
        error = "Please enter a correct username and password."
    return render_template("login.html", user=None, next=next_url, error=error), 400


@blp.route("/logout/", methods=["POST"])
@blp.doc(security=[])
def logout():
    """End the browser session

    The session ends on the server: a copy of its cookie no longer works either.
    """
    try:
        validate_csrf(request.form.get("csrf_token") or request.headers.get("X-CSRFToken"))
    except ValidationError:
        response = jsonify({"detail": "CSRF Failed: The CSRF token is missing or invalid."})
        response.status_code = 403
        return response
    logout_session()
    return redirect("/api/v1/auth/login/", code=303)


@blp.route("/logout-everywhere/", methods=["POST"])
@user_required
@blp.response(204)
@blp.alt_response(401, schema=ErrorSchema, description="No credentials, or invalid ones")
@blp.alt_response(403, schema=ErrorSchema, description="A session request without a valid X-CSRFToken")
def logout_everywhere():
    """End all your browser sessions and revoke all your API tokens

    Every session and token of yours stops working, the ones of this request included; log
    in again afterwards. What to do when a password, a token or a browser may be in the
    wrong hands (changing your password does the same, keeping the session or token that
    changes it).
    """
    users.log_out_everywhere(user=authenticated_user())
    session.clear()


@blp.route("/csrf/")
@blp.doc(security=[], responses={"200": {
    "description": "A token for the X-CSRFToken header",
    "content": {"application/json": {"schema": {
        "type": "object", "properties": {"csrf_token": {"type": "string"}}, "required": ["csrf_token"]}}},
}})
def csrf_token():
    """A CSRF token for session-authenticated unsafe requests (send it as X-CSRFToken)"""
    return jsonify({"csrf_token": generate_csrf()})
