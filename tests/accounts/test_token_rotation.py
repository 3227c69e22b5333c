"""Token list, rotation, revocation, expiry, and tokens ending with a password change."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from monitoring.extensions import db
from monitoring.models import ApiToken, utcnow
from tests.accounts.test_auth import api_csrf_token, login

TOKEN_URL = "/api/v1/users/token/"
ROTATE_URL = "/api/v1/users/token/rotate/"
ORGS_URL = "/api/v1/users/organization/"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def manager(make):
    return make.user(manages=[make.org()], username="manager", password="manager-pass")


def token_count(user) -> int:
    return db.session.execute(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)).scalar()


def test_list_shows_own_tokens_and_which_one_is_in_use(client, make, manager):
    first, second = make.token(manager), make.token(manager)
    make.token(make.user(manages=[]))  # somebody else's
    response = client.get(TOKEN_URL, headers=bearer(second))
    assert response.status_code == 200
    body = response.get_json()
    assert len(body) == 2
    assert sorted(item["current"] for item in body) == [False, True]
    assert set(body[0]) == {"id", "created", "last_used", "current"}
    # The token in use was just used; the other one never was.
    by_current = {item["current"]: item for item in body}
    assert by_current[True]["last_used"] is not None
    assert by_current[False]["last_used"] is None
    assert first not in response.get_data(as_text=True) and second not in response.get_data(as_text=True)


def test_list_needs_authentication(client):
    assert client.get(TOKEN_URL).status_code == 401


def test_rotate_replaces_the_token_in_use(client, make, manager):
    old, other = make.token(manager), make.token(manager)
    response = client.post(ROTATE_URL, headers=bearer(old))
    assert response.status_code == 200
    new = response.get_json()["token"]
    assert new not in (old, other)
    assert client.get(ORGS_URL, headers=bearer(old)).status_code == 401
    assert client.get(ORGS_URL, headers=bearer(new)).status_code == 200
    assert client.get(ORGS_URL, headers=bearer(other)).status_code == 200
    assert token_count(manager) == 2


def test_rotate_with_a_revoked_token_is_401_and_issues_nothing(client, make, manager):
    old = make.token(manager)
    assert client.post(ROTATE_URL, headers=bearer(old)).status_code == 200
    response = client.post(ROTATE_URL, headers=bearer(old))
    assert response.status_code == 401
    assert token_count(manager) == 1


def test_rotate_needs_a_token_not_a_session(client, manager):
    login(client, "manager", "manager-pass")
    response = client.post(ROTATE_URL, headers={"X-CSRFToken": api_csrf_token(client)})
    assert response.status_code == 400
    assert "token" in response.get_json()["detail"]
    assert token_count(manager) == 0


def test_revoke_one_of_own_tokens(client, make, manager):
    keep, drop = make.token(manager), make.token(manager)
    ids = {item["current"]: item["id"] for item in client.get(TOKEN_URL, headers=bearer(keep)).get_json()}
    response = client.delete(f"{TOKEN_URL}{ids[False]}/", headers=bearer(keep))
    assert response.status_code == 204
    assert client.get(ORGS_URL, headers=bearer(drop)).status_code == 401
    assert client.get(ORGS_URL, headers=bearer(keep)).status_code == 200
    # Revoking the one in use logs this client out.
    assert client.delete(f"{TOKEN_URL}{ids[True]}/", headers=bearer(keep)).status_code == 204
    assert client.get(ORGS_URL, headers=bearer(keep)).status_code == 401
    assert token_count(manager) == 0


def test_nobody_revokes_another_users_token_not_even_a_superuser(client, make, manager):
    victim = make.token(manager)
    victim_id = db.session.execute(select(ApiToken.id).where(ApiToken.user_id == manager.id)).scalar_one()
    admin = make.user(superuser=True)
    response = client.delete(f"{TOKEN_URL}{victim_id}/", headers=make.headers(admin))
    assert response.status_code == 404
    assert client.get(ORGS_URL, headers=bearer(victim)).status_code == 200


def test_expired_tokens_stop_working(app, client, make, manager, monkeypatch):
    token = make.token(manager)
    monkeypatch.setitem(app.config, "API_TOKEN_MAX_AGE_DAYS", 30)
    assert client.get(ORGS_URL, headers=bearer(token)).status_code == 200
    db.session.execute(update(ApiToken).values(created=utcnow() - timedelta(days=31)))
    db.session.commit()
    response = client.get(ORGS_URL, headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid token."}
    monkeypatch.setitem(app.config, "API_TOKEN_MAX_AGE_DAYS", 0)
    assert client.get(ORGS_URL, headers=bearer(token)).status_code == 200


def test_last_used_is_written_at_most_every_few_minutes(client, make, manager):
    token = make.token(manager)
    client.get(ORGS_URL, headers=bearer(token))
    first = db.session.execute(select(ApiToken.last_used)).scalar_one()
    client.get(ORGS_URL, headers=bearer(token))
    db.session.expire_all()
    assert db.session.execute(select(ApiToken.last_used)).scalar_one() == first
    db.session.execute(update(ApiToken).values(last_used=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    client.get(ORGS_URL, headers=bearer(token))
    db.session.expire_all()
    assert db.session.execute(select(ApiToken.last_used)).scalar_one() > first


def test_changing_own_password_revokes_the_other_tokens(client, make, manager):
    in_use, elsewhere = make.token(manager), make.token(manager)
    response = client.patch(f"/api/v1/users/user/{manager.id}/", headers=bearer(in_use),
                            json={"password": "a-new-password", "current_password": "manager-pass"})
    assert response.status_code == 200
    assert client.get(ORGS_URL, headers=bearer(in_use)).status_code == 200
    assert client.get(ORGS_URL, headers=bearer(elsewhere)).status_code == 401


def test_a_password_set_by_an_administrator_revokes_every_token(client, make):
    member = make.user(member_of=[make.org()])
    token = make.token(member)
    admin = make.user(superuser=True)
    response = client.patch(f"/api/v1/users/user/{member.id}/", headers=make.headers(admin),
                            json={"password": "a-new-password"})
    assert response.status_code == 200
    assert client.get(TOKEN_URL, headers=bearer(token)).status_code == 401
    assert token_count(member) == 0


def test_other_changes_keep_tokens(client, make):
    member = make.user(member_of=[make.org()])
    token = make.token(member)
    admin = make.user(superuser=True)
    assert client.patch(f"/api/v1/users/user/{member.id}/", headers=make.headers(admin),
                        json={"first_name": "Ada"}).status_code == 200
    assert token_count(member) == 1
    assert client.get(TOKEN_URL, headers=bearer(token)).status_code == 200
