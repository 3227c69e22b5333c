"""The session cookie set by the login form: HttpOnly and SameSite=Lax always, Secure when
SESSION_COOKIE_SECURE is set (behind HTTPS)."""
import importlib

import pytest

import config
from tests.blueprints.test_auth import LOGIN_URL, form_csrf_token


@pytest.fixture
def alice(make):
    return make.user(username="alice", password="alice-pass")


def session_cookie(client) -> str:
    token = form_csrf_token(client)
    response = client.post(LOGIN_URL, data={"csrf_token": token, "username": "alice", "password": "alice-pass"})
    assert response.status_code == 303
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert len(cookies) == 1
    return cookies[0]


def attributes(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def test_session_cookie_is_httponly_and_samesite_lax(client, alice):
    cookie = session_cookie(client)
    assert "httponly" in attributes(cookie)
    assert "SameSite=Lax" in cookie
    assert "secure" not in attributes(cookie)


def test_session_cookie_is_secure_when_configured(client, alice, monkeypatch):
    monkeypatch.setitem(client.application.config, "SESSION_COOKIE_SECURE", True)
    cookie = session_cookie(client)
    assert {"httponly", "secure"} <= attributes(cookie)
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize("raw, expected", [("true", True), ("1", True), ("false", False), ("", False)])
def test_session_cookie_secure_is_read_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", raw)
    try:
        assert importlib.reload(config).Config.SESSION_COOKIE_SECURE is expected
    finally:
        monkeypatch.undo()
        importlib.reload(config)
