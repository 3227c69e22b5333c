"""The session cookie set by the login form: HttpOnly and SameSite=Lax always; Secure on
HTTPS requests (directly, or through a trusted proxy's X-Forwarded-Proto) unless
SESSION_COOKIE_SECURE says otherwise."""
import importlib

import pytest

import config
from monitoring import create_app
from tests.accounts.test_auth import LOGIN_URL, form_csrf_token


class ProxiedConfig(config.TestConfig):
    TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def alice(make):
    return make.user(username="alice", password="alice-pass")


def session_cookie(client, **request) -> str:
    token = form_csrf_token(client)
    response = client.post(LOGIN_URL, data={"csrf_token": token, "username": "alice", "password": "alice-pass"},
                           **request)
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


def test_session_cookie_is_secure_on_https_requests_by_default(client, alice):
    assert client.application.config["SESSION_COOKIE_SECURE"] is None
    client = client.application.test_client()
    assert "secure" in attributes(session_cookie(client, base_url="https://localhost"))


def test_session_cookie_is_secure_behind_a_trusted_https_proxy(alice):
    client = create_app(ProxiedConfig).test_client()
    assert "secure" in attributes(session_cookie(client, headers={"X-Forwarded-Proto": "https"}))
    plain = create_app(ProxiedConfig).test_client()
    assert "secure" not in attributes(session_cookie(plain, headers={"X-Forwarded-Proto": "http"}))


def test_forwarded_proto_of_an_untrusted_client_is_ignored(client, alice):
    assert client.application.config["TRUSTED_PROXY_COUNT"] == 0
    assert "secure" not in attributes(session_cookie(client, headers={"X-Forwarded-Proto": "https"}))


def test_session_cookie_secure_false_is_obeyed_on_https(client, alice, monkeypatch):
    monkeypatch.setitem(client.application.config, "SESSION_COOKIE_SECURE", False)
    assert "secure" not in attributes(session_cookie(client, base_url="https://localhost"))


@pytest.mark.parametrize("raw, expected", [
    ("true", True), ("1", True), ("false", False), ("0", False), ("", None), (None, None)])
def test_session_cookie_secure_is_read_from_the_environment(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("SESSION_COOKIE_SECURE", raw)
    try:
        assert importlib.reload(config).Config.SESSION_COOKIE_SECURE is expected
    finally:
        monkeypatch.undo()
        importlib.reload(config)
