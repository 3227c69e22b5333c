"""API tokens (POST /api/v1/users/token/, ``Authorization: Bearer``) and browser sessions
(/api/v1/auth/login/, logout, csrf) with the 401/403 answers of the reference API."""
import hashlib
import re

import pytest
from sqlalchemy import func, select

from monitoring.extensions import db
from monitoring.models import ApiToken, DeviceGroup, User

TOKEN_URL = "/api/v1/users/token/"
LOGIN_URL = "/api/v1/auth/login/"
LOGOUT_URL = "/api/v1/auth/logout/"
CSRF_URL = "/api/v1/auth/csrf/"
ORGS_URL = "/api/v1/users/organization/"
GROUPS_URL = "/api/v1/controller/group/"
DOCS_URL = "/api/v1/docs/"
NOT_MANAGER = "User is not a manager of the organization to which the requested resource belongs."
BAD_CREDENTIALS = {"non_field_errors": ["Unable to log in with provided credentials."]}
NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def org(make):
    return make.org("acme")


@pytest.fixture
def manager(make, org):
    return make.user(manages=[org], username="manager", password="manager-pass")


def form_csrf_token(client, path=LOGIN_URL) -> str:
    page = client.get(path)
    assert page.status_code == 200
    match = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', page.get_data(as_text=True))
    assert match, "no csrf_token input on the login page"
    return match.group(1)


def login(client, username, password, *, next_url=None):
    token = form_csrf_token(client)
    path = LOGIN_URL if next_url is None else f"{LOGIN_URL}?next={next_url}"
    return client.post(path, data={"csrf_token": token, "username": username, "password": password})


def api_csrf_token(client) -> str:
    response = client.get(CSRF_URL)
    assert response.status_code == 200
    return response.get_json()["csrf_token"]


# --- tokens -----------------------------------------------------------------------------


def test_obtain_token(client, manager):
    response = client.post(TOKEN_URL, json={"username": "manager", "password": "manager-pass"})
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["token"]
    assert re.fullmatch(r"[0-9a-f]{40}", body["token"])
    orgs = client.get(ORGS_URL, headers={"Authorization": f"Bearer {body['token']}"})
    assert orgs.status_code == 200
    assert orgs.get_json()["count"] == 1


def test_token_is_stored_only_as_a_digest_and_login_is_recorded(client, manager):
    assert manager.last_login is None
    token = client.post(TOKEN_URL, json={"username": "manager", "password": "manager-pass"}).get_json()["token"]
    digests = db.session.execute(select(ApiToken.key_digest).where(ApiToken.user_id == manager.id)).scalars().all()
    assert digests == [hashlib.sha256(token.encode()).hexdigest()]
    db.session.expire_all()
    assert db.session.get(User, manager.id).last_login is not None


def test_every_call_issues_a_new_token_and_all_of_them_work(client, manager):
    credentials = {"username": "manager", "password": "manager-pass"}
    first = client.post(TOKEN_URL, json=credentials).get_json()["token"]
    second = client.post(TOKEN_URL, json=credentials).get_json()["token"]
    assert first != second
    for token in (first, second):
        assert client.get(ORGS_URL, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_bearer_keyword_is_case_insensitive(client, make, manager):
    token = make.token(manager)
    assert client.get(ORGS_URL, headers={"Authorization": f"bearer {token}"}).status_code == 200


@pytest.mark.parametrize("credentials", [
    {"username": "manager", "password": "wrong-pass"},
    {"username": "nobody", "password": "manager-pass"},
    {"username": "MANAGER", "password": "manager-pass"},
    {"username": "manager", "password": ""},
])
def test_wrong_credentials_are_400(client, manager, credentials):
    response = client.post(TOKEN_URL, json=credentials)
    assert response.status_code == 400
    assert response.get_json() == BAD_CREDENTIALS
    assert count(ApiToken) == 0


def test_inactive_user_gets_no_token(client, make):
    make.user(username="sleeper", password="sleeper-pass", is_active=False)
    response = client.post(TOKEN_URL, json={"username": "sleeper", "password": "sleeper-pass"})
    assert response.status_code == 400
    assert response.get_json() == BAD_CREDENTIALS
    assert count(ApiToken) == 0


@pytest.mark.parametrize("payload, errors", [
    ({}, {"username": ["This field is required."], "password": ["This field is required."]}),
    ({"username": "manager"}, {"password": ["This field is required."]}),
    ({"password": "manager-pass"}, {"username": ["This field is required."]}),
    ({"username": None, "password": "manager-pass"}, {"username": ["This field may not be null."]}),
    ({"username": 42, "password": "manager-pass"}, {"username": ["Not a valid string."]}),
])
def test_token_request_needs_both_fields(client, manager, payload, errors):
    response = client.post(TOKEN_URL, json=payload)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert count(ApiToken) == 0


def test_token_request_without_a_body_is_400(client, manager):
    response = client.post(TOKEN_URL)
    assert response.status_code == 400
    assert response.get_json() == {"username": ["This field is required."], "password": ["This field is required."]}


def test_no_credentials_is_401_with_bearer_challenge(client, make):
    make.org()
    response = client.get(ORGS_URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json() == NOT_AUTHENTICATED


@pytest.mark.parametrize("header, detail", [
    ("Bearer not-a-real-token", "Invalid token."),
    ("Bearer " + "0" * 40, "Invalid token."),
    ("Bearer", "Invalid token header. No credentials provided."),
    ("Bearer two parts", "Invalid token header. Token string should not contain spaces."),
])
def test_bad_bearer_header_is_401(client, make, header, detail):
    make.org()
    response = client.get(ORGS_URL, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json() == {"detail": detail}


def test_other_authorization_schemes_are_not_credentials(client, make, manager):
    response = client.get(ORGS_URL, headers={"Authorization": f"Token {make.token(manager)}"})
    assert response.status_code == 401
    assert response.get_json() == NOT_AUTHENTICATED


def test_bad_token_is_refused_before_the_body_is_read(client, app_context):
    response = client.post(ORGS_URL, headers={"Authorization": "Bearer nope"}, json={})
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid token."}


def test_plain_member_is_403_not_manager(client, make, org):
    member = make.user(member_of=[org])
    response = client.get(ORGS_URL, headers=make.headers(member))
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}
    assert "WWW-Authenticate" not in response.headers


def test_user_without_any_organization_is_403_not_manager(client, make):
    loner = make.user()
    response = client.get(GROUPS_URL, headers=make.headers(loner))
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}


def test_token_of_an_inactive_user_is_401(client, make):
    sleeper = make.user(superuser=True, is_active=False)
    response = client.get(ORGS_URL, headers=make.headers(sleeper))
    assert response.status_code == 401
    assert response.get_json() == {"detail": "User inactive or deleted."}


def test_deactivating_a_user_revokes_their_token(client, make, manager, admin_headers):
    headers = make.headers(manager)
    assert client.get(ORGS_URL, headers=headers).status_code == 200
    response = client.patch(f"/api/v1/users/user/{manager.id}/", headers=admin_headers, json={"is_active": False})
    assert response.status_code == 200
    response = client.get(ORGS_URL, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json() == {"detail": "Invalid token."}
    # Reactivating the account does not bring it back.
    client.patch(f"/api/v1/users/user/{manager.id}/", headers=admin_headers, json={"is_active": True})
    assert client.get(ORGS_URL, headers=headers).status_code == 401
    assert count(ApiToken) == 1  # the superuser's own


# --- session login ----------------------------------------------------------------------


def test_login_page_is_a_form_with_a_csrf_token(client):
    page = client.get(LOGIN_URL)
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', html)
    assert 'name="username"' in html and 'name="password"' in html
    assert '<form method="post"' in html


def test_login_sets_a_session_that_authenticates_api_requests(client, manager):
    assert client.get(ORGS_URL).status_code == 401
    response = login(client, "manager", "manager-pass")
    assert response.status_code == 303
    assert response.headers["Location"] == DOCS_URL
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    orgs = client.get(ORGS_URL)
    assert orgs.status_code == 200
    assert [o["name"] for o in orgs.get_json()["results"]] == ["acme"]


def test_login_page_shows_the_logged_in_user(client, manager):
    login(client, "manager", "manager-pass")
    html = client.get(LOGIN_URL).get_data(as_text=True)
    assert "Logged in as manager" in html
    assert 'id="logout"' in html


def test_login_redirects_to_a_local_next(client, manager):
    response = login(client, "manager", "manager-pass", next_url="/api/v1/users/organization/?page=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/api/v1/users/organization/?page=1"


def test_login_form_keeps_next_in_its_action(client):
    html = client.get(f"{LOGIN_URL}?next=/api/v1/users/user/").get_data(as_text=True)
    assert 'action="/api/v1/auth/login/?next=/api/v1/users/user/"' in html


@pytest.mark.parametrize("next_url", [
    "https://evil.example/",
    "https%3A%2F%2Fevil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%09/evil.example",
    "%2F%2Fevil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
])
def test_login_never_redirects_off_site(client, manager, next_url):
    response = login(client, "manager", "manager-pass", next_url=next_url)
    assert response.status_code == 303
    assert response.headers["Location"] == DOCS_URL


@pytest.mark.parametrize("username, password", [
    ("manager", "wrong-pass"),
    ("nobody", "manager-pass"),
    ("", ""),
])
def test_login_with_bad_credentials_is_400_with_an_error(client, manager, username, password):
    response = login(client, username, password)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Please enter a correct username and password." in response.get_data(as_text=True)
    assert client.get(ORGS_URL).status_code == 401


def test_login_of_an_inactive_user_fails(client, make):
    make.user(superuser=True, username="sleeper", password="sleeper-pass", is_active=False)
    response = login(client, "sleeper", "sleeper-pass")
    assert response.status_code == 400
    assert "Please enter a correct username and password." in response.get_data(as_text=True)
    assert client.get(ORGS_URL).status_code == 401


@pytest.mark.parametrize("csrf_token", [None, "", "forged-token"])
def test_login_without_a_valid_csrf_token_fails(client, manager, csrf_token):
    form_csrf_token(client)  # the session has a CSRF secret, the form does not send it
    data = {"username": "manager", "password": "manager-pass"}
    if csrf_token is not None:
        data["csrf_token"] = csrf_token
    response = client.post(LOGIN_URL, data=data)
    assert response.status_code == 400
    assert "Your form expired, please try again." in response.get_data(as_text=True)
    assert client.get(ORGS_URL).status_code == 401


def test_csrf_token_of_another_browser_is_refused(client, app, manager):
    other = app.test_client()
    token = form_csrf_token(other)
    form_csrf_token(client)
    response = client.post(LOGIN_URL, data={"csrf_token": token, "username": "manager", "password": "manager-pass"})
    assert response.status_code == 400
    assert client.get(ORGS_URL).status_code == 401


def test_session_of_a_plain_member_is_403_not_manager(client, make, org):
    make.user(member_of=[org], username="member", password="member-pass")
    assert login(client, "member", "member-pass").status_code == 303
    response = client.get(ORGS_URL)
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}


# --- session and CSRF on unsafe API requests --------------------------------------------


def test_session_write_without_csrf_token_is_403(client, manager, org):
    login(client, "manager", "manager-pass")
    response = client.post(GROUPS_URL, json={"organization": str(org.id), "name": "g1"})
    assert response.status_code == 403
    assert response.get_json() == {"detail": "CSRF Failed: The CSRF token is missing."}
    assert count(DeviceGroup) == 0


def test_session_write_with_a_wrong_csrf_token_is_403(client, manager, org):
    login(client, "manager", "manager-pass")
    api_csrf_token(client)  # the session holds a CSRF secret; the request does not match it
    response = client.post(GROUPS_URL, headers={"X-CSRFToken": "forged"},
                           json={"organization": str(org.id), "name": "g1"})
    assert response.status_code == 403
    assert response.get_json() == {"detail": "CSRF Failed: The CSRF token is invalid."}
    assert count(DeviceGroup) == 0


def test_session_write_with_csrf_token_succeeds(client, manager, org):
    login(client, "manager", "manager-pass")
    token = api_csrf_token(client)
    response = client.post(GROUPS_URL, headers={"X-CSRFToken": token},
                           json={"organization": str(org.id), "name": "g1"})
    assert response.status_code == 201
    assert response.get_json()["name"] == "g1"
    assert count(DeviceGroup) == 1


def test_csrf_token_is_needed_for_every_unsafe_method(client, manager, org):
    login(client, "manager", "manager-pass")
    path = f"{ORGS_URL}{org.id}/"
    for method in ("PUT", "PATCH", "DELETE"):
        response = client.open(path, method=method, json={"name": "changed"})
        assert response.status_code == 403, method
        assert response.get_json()["detail"].startswith("CSRF Failed")
    db.session.expire_all()
    assert db.session.get(type(org), org.id).name == "acme"
    token = api_csrf_token(client)
    response = client.patch(path, headers={"X-CSRFToken": token}, json={"name": "changed"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "changed"


def test_csrf_token_from_before_login_is_not_valid_after(client, manager, org):
    before = form_csrf_token(client)
    login(client, "manager", "manager-pass")
    response = client.post(GROUPS_URL, headers={"X-CSRFToken": before},
                           json={"organization": str(org.id), "name": "g1"})
    assert response.status_code == 403
    assert response.get_json()["detail"].startswith("CSRF Failed")


def test_bearer_requests_need_no_csrf_token_even_with_a_session(client, make, manager, org):
    login(client, "manager", "manager-pass")
    response = client.post(GROUPS_URL, headers=make.headers(manager), json={"organization": str(org.id), "name": "g1"})
    assert response.status_code == 201


def test_safe_session_requests_need_no_csrf_token(client, manager, org):
    login(client, "manager", "manager-pass")
    assert client.get(GROUPS_URL).status_code == 200
    assert client.get(f"{ORGS_URL}{org.id}/").status_code == 200


def test_changing_the_password_ends_sessions(client, make, manager, admin_headers):
    login(client, "manager", "manager-pass")
    assert client.get(ORGS_URL).status_code == 200
    response = client.patch(f"/api/v1/users/user/{manager.id}/", headers=admin_headers,
                            json={"password": "another-pass"})
    assert response.status_code == 200
    response = client.get(ORGS_URL)
    assert response.status_code == 401
    assert response.get_json() == NOT_AUTHENTICATED


def test_deactivating_a_user_ends_their_session(client, manager, admin_headers):
    login(client, "manager", "manager-pass")
    response = client.patch(f"/api/v1/users/user/{manager.id}/", headers=admin_headers, json={"is_active": False})
    assert response.status_code == 200
    assert client.get(ORGS_URL).status_code == 401


# --- logout -----------------------------------------------------------------------------


def test_logout_ends_the_session(client, manager):
    login(client, "manager", "manager-pass")
    token = form_csrf_token(client)
    response = client.post(LOGOUT_URL, data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == LOGIN_URL
    response = client.get(ORGS_URL)
    assert response.status_code == 401
    assert response.get_json() == NOT_AUTHENTICATED


def test_logout_accepts_the_csrf_header(client, manager):
    login(client, "manager", "manager-pass")
    response = client.post(LOGOUT_URL, headers={"X-CSRFToken": api_csrf_token(client)})
    assert response.status_code == 303
    assert client.get(ORGS_URL).status_code == 401


@pytest.mark.parametrize("data", [{}, {"csrf_token": "forged"}])
def test_logout_without_csrf_token_is_403_and_keeps_the_session(client, manager, data):
    login(client, "manager", "manager-pass")
    response = client.post(LOGOUT_URL, data=data)
    assert response.status_code == 403
    assert response.get_json() == {"detail": "CSRF Failed: The CSRF token is missing or invalid."}
    assert client.get(ORGS_URL).status_code == 200


def test_logout_is_post_only(client):
    response = client.get(LOGOUT_URL)
    assert response.status_code == 405
    assert response.get_json() == {"detail": 'Method "GET" not allowed.'}
