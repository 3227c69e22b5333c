"""Changing one's own password takes the current one (``current_password``); a superuser
or a manager setting somebody else's does not need it."""
import pytest
from werkzeug.security import check_password_hash

from monitoring.extensions import db
from monitoring.models import User

TOKEN_URL = "/api/v1/users/token/"
REQUIRED = {"current_password": ["This field is required."]}
WRONG = {"current_password": ["Your current password was entered incorrectly."]}


@pytest.fixture
def manager(make, org):
    return make.user(manages=[org], username="manager", password="manager-pass")


def url(user) -> str:
    return f"/api/v1/users/user/{user.id}/"


def password_is(user, password) -> bool:
    db.session.expire_all()
    return check_password_hash(db.session.get(User, user.id).password_hash, password)


def test_own_password_change_without_the_current_password_is_400(client, make, manager):
    response = client.patch(url(manager), headers=make.headers(manager), json={"password": "a-new-password"})
    assert response.status_code == 400
    assert response.get_json() == REQUIRED
    assert password_is(manager, "manager-pass")


@pytest.mark.parametrize("current", ["wrong-pass", ""])
def test_own_password_change_with_a_wrong_current_password_is_400(client, make, manager, current):
    response = client.patch(url(manager), headers=make.headers(manager),
                            json={"password": "a-new-password", "current_password": current})
    assert response.status_code == 400
    assert response.get_json() == (REQUIRED if current == "" else WRONG)
    assert password_is(manager, "manager-pass")


def test_a_rejected_password_change_changes_nothing_else(client, make, manager):
    response = client.patch(url(manager), headers=make.headers(manager),
                            json={"password": "a-new-password", "first_name": "Mallory", "username": "mallory"})
    assert response.status_code == 400
    db.session.expire_all()
    stored = db.session.get(User, manager.id)
    assert (stored.username, stored.first_name) == ("manager", "")


def test_own_password_change_with_the_current_password(client, make, manager):
    response = client.patch(url(manager), headers=make.headers(manager),
                            json={"password": "a-new-password", "current_password": "manager-pass"})
    assert response.status_code == 200
    assert "current_password" not in response.get_json()
    assert password_is(manager, "a-new-password")
    assert client.post(TOKEN_URL, json={"username": "manager", "password": "a-new-password"}).status_code == 200


def test_put_of_oneself_needs_the_current_password_too(client, make, manager, org):
    body = {"username": "manager", "password": "a-new-password",
            "organization_users": [{"organization": str(org.id), "is_admin": True}]}
    headers = make.headers(manager)
    assert client.put(url(manager), headers=headers, json=body).get_json() == REQUIRED
    response = client.put(url(manager), headers=headers, json={**body, "current_password": "manager-pass"})
    assert response.status_code == 200
    assert password_is(manager, "a-new-password")


def test_a_superuser_changing_their_own_password_needs_it_too(client, make):
    root = make.user(superuser=True, password="root-pass")
    response = client.patch(url(root), headers=make.headers(root), json={"password": "a-new-password"})
    assert response.status_code == 400
    assert response.get_json() == REQUIRED
    assert password_is(root, "root-pass")


def test_a_superuser_sets_somebody_elses_password_without_theirs(client, make, manager, admin_headers):
    response = client.patch(url(manager), headers=admin_headers, json={"password": "a-new-password"})
    assert response.status_code == 200
    assert password_is(manager, "a-new-password")


def test_a_manager_sets_a_members_password_without_theirs(client, make, manager, org):
    member = make.user(member_of=[org], password="member-pass")
    response = client.patch(url(member), headers=make.headers(manager), json={"password": "a-new-password"})
    assert response.status_code == 200
    assert password_is(member, "a-new-password")


def test_other_changes_of_oneself_need_no_current_password(client, make, manager):
    response = client.patch(url(manager), headers=make.headers(manager), json={"first_name": "Ada"})
    assert response.status_code == 200
    assert response.get_json()["first_name"] == "Ada"


def test_guessing_the_current_password_is_throttled_like_a_login(client, make, manager):
    headers = make.headers(manager)
    body = {"password": "a-new-password", "current_password": "wrong-pass"}
    for _ in range(5):
        assert client.patch(url(manager), headers=headers, json=body).status_code == 400
    response = client.patch(url(manager), headers=headers, json={**body, "current_password": "manager-pass"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.get_json()["detail"].startswith("Too many failed login attempts.")
    assert password_is(manager, "manager-pass")


def test_current_password_is_documented(client):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["User"]
    assert schema["properties"]["current_password"]["writeOnly"] is True
