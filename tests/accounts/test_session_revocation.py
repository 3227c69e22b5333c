"""Browser sessions end on the server: a session cookie kept from before a logout, a "log
out everywhere", a deactivation or a password change authenticates nothing afterwards."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from monitoring.extensions import db
from monitoring.models import ApiToken, BrowserSession, utcnow
from monitoring.services.accounts import users as users_service
from tests.accounts.test_auth import LOGOUT_URL, NOT_AUTHENTICATED, ORGS_URL, api_csrf_token, login

EVERYWHERE_URL = "/api/v1/auth/logout-everywhere/"


@pytest.fixture
def manager(make):
    return make.user(manages=[make.org()], username="manager", password="manager-pass")


def logged_in(app, username="manager", password="manager-pass"):
    """A new browser (test client) with a session of ``username``."""
    browser = app.test_client()
    assert login(browser, username, password).status_code == 303
    assert browser.get(ORGS_URL).status_code == 200
    return browser


def copy_of(app, browser):
    """Another client holding a copy of ``browser``'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def session_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(BrowserSession).where(BrowserSession.user_id == user.id))


def token_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id))


def assert_anonymous(client):
    response = client.get(ORGS_URL)
    assert response.status_code == 401
    assert response.get_json() == NOT_AUTHENTICATED


# --- logout -----------------------------------------------------------------------------


def test_a_cookie_copied_before_logout_is_refused_after_it(app, manager):
    browser = logged_in(app)
    thief = copy_of(app, browser)
    assert thief.get(ORGS_URL).status_code == 200
    assert browser.post(LOGOUT_URL, headers={"X-CSRFToken": api_csrf_token(browser)}).status_code == 303
    assert_anonymous(browser)
    assert_anonymous(thief)
    assert session_count(manager) == 0


def test_logout_ends_that_session_only(app, manager):
    laptop, phone = logged_in(app), logged_in(app)
    assert laptop.post(LOGOUT_URL, headers={"X-CSRFToken": api_csrf_token(laptop)}).status_code == 303
    assert_anonymous(laptop)
    assert phone.get(ORGS_URL).status_code == 200
    assert session_count(manager) == 1


def test_sessions_are_stored_as_digests_only(app, manager):
    browser = logged_in(app)
    stored = db.session.scalars(select(BrowserSession)).one()
    assert stored.user_id == manager.id
    assert len(stored.key_digest) == 64
    # The cookie is signed, not encrypted: it carries the session key, never the digest.
    assert stored.key_digest not in browser.get_cookie("session").value


def test_a_session_ends_its_lifetime_after_login_whatever_the_cookie_says(app, manager):
    browser = logged_in(app)
    db.session.execute(update(BrowserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert_anonymous(browser)


def test_a_session_lasts_session_lifetime_seconds(app, manager):
    before = utcnow()
    logged_in(app)
    stored = db.session.scalars(select(BrowserSession)).one()
    lifetime = app.permanent_session_lifetime
    assert before + lifetime <= stored.expires_at <= utcnow() + lifetime


# --- log out everywhere -----------------------------------------------------------------


def test_logout_everywhere_ends_every_session_and_token(app, make, manager):
    laptop, phone = logged_in(app), logged_in(app)
    thief = copy_of(app, phone)
    token = make.token(manager)
    response = laptop.post(EVERYWHERE_URL, headers={"X-CSRFToken": api_csrf_token(laptop)})
    assert response.status_code == 204
    for client in (laptop, phone, thief):
        assert_anonymous(client)
    response = app.test_client().get(ORGS_URL, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid token."}
    assert session_count(manager) == 0 and token_count(manager) == 0


def test_logout_everywhere_with_a_token_revokes_that_token_too(app, client, make, manager):
    browser = logged_in(app)
    headers = make.headers(manager)
    assert client.post(EVERYWHERE_URL, headers=headers).status_code == 204
    assert client.get(ORGS_URL, headers=headers).status_code == 401
    assert_anonymous(browser)


def test_logout_everywhere_leaves_other_users_alone(app, make, manager):
    other_user = make.user(manages=[make.org()], username="other", password="other-pass")
    other = logged_in(app, "other", "other-pass")
    other_token = make.token(other_user)
    mine = logged_in(app)
    assert mine.post(EVERYWHERE_URL, headers={"X-CSRFToken": api_csrf_token(mine)}).status_code == 204
    assert other.get(ORGS_URL).status_code == 200
    assert app.test_client().get(ORGS_URL, headers={"Authorization": f"Bearer {other_token}"}).status_code == 200


def test_logout_everywhere_needs_a_user(client):
    response = client.post(EVERYWHERE_URL)
    assert response.status_code == 401
    assert response.get_json() == NOT_AUTHENTICATED


def test_logout_everywhere_from_a_session_needs_the_csrf_token(app, manager):
    browser = logged_in(app)
    response = browser.post(EVERYWHERE_URL)
    assert response.status_code == 403
    assert response.get_json()["detail"].startswith("CSRF Failed")
    assert browser.get(ORGS_URL).status_code == 200


def test_plain_members_may_log_out_everywhere(app, make):
    make.user(member_of=[make.org()], username="member", password="member-pass")
    browser = app.test_client()
    assert login(browser, "member", "member-pass").status_code == 303
    assert browser.post(EVERYWHERE_URL, headers={"X-CSRFToken": api_csrf_token(browser)}).status_code == 204
    assert browser.get(ORGS_URL).status_code == 401


def test_logout_everywhere_is_documented(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"][EVERYWHERE_URL]["post"]
    assert "204" in operation["responses"] and "401" in operation["responses"]
    assert operation["security"]


# --- deactivation and password changes --------------------------------------------------


def test_deactivating_a_user_ends_their_sessions_for_good(app, make, manager, admin_headers):
    browser = logged_in(app)
    thief = copy_of(app, browser)
    client = app.test_client()
    path = f"/api/v1/users/user/{manager.id}/"
    assert client.patch(path, headers=admin_headers, json={"is_active": False}).status_code == 200
    # Active again: the sessions from before stay ended.
    assert client.patch(path, headers=admin_headers, json={"is_active": True}).status_code == 200
    assert_anonymous(browser)
    assert_anonymous(thief)
    assert session_count(manager) == 0 and token_count(manager) == 0


def test_a_manager_deactivating_a_member_ends_their_sessions(app, make):
    org = make.org()
    member = make.user(member_of=[org], username="member", password="member-pass")
    member_browser = app.test_client()
    assert login(member_browser, "member", "member-pass").status_code == 303
    headers = make.headers(make.user(manages=[org]))
    assert app.test_client().patch(f"/api/v1/users/user/{member.id}/", headers=headers,
                                   json={"is_active": False}).status_code == 200
    assert member_browser.get("/api/v1/auth/login/").get_data(as_text=True).count("Logged in as") == 0
    assert session_count(member) == 0


def test_a_password_set_by_a_superuser_ends_every_session(app, manager, admin_headers):
    browser = logged_in(app)
    thief = copy_of(app, browser)
    response = app.test_client().patch(f"/api/v1/users/user/{manager.id}/", headers=admin_headers,
                                       json={"password": "another-pass"})
    assert response.status_code == 200
    assert_anonymous(browser)
    assert_anonymous(thief)


def test_changing_ones_own_password_in_a_session_keeps_that_session_only(app, make, manager):
    browser, elsewhere = logged_in(app), logged_in(app)
    token = make.token(manager)
    response = browser.patch(f"/api/v1/users/user/{manager.id}/", headers={"X-CSRFToken": api_csrf_token(browser)},
                             json={"password": "another-pass", "current_password": "manager-pass"})
    assert response.status_code == 200
    assert browser.get(ORGS_URL).status_code == 200
    assert_anonymous(elsewhere)
    assert app.test_client().get(ORGS_URL, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert session_count(manager) == 1


def test_resetting_a_password_from_the_command_line_logs_out_everywhere(app, make, manager):
    browser = logged_in(app)
    make.token(manager)
    users_service.ensure_superuser(username="manager", password="reset-pass")
    assert_anonymous(browser)
    assert token_count(manager) == 0
