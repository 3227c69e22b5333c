"""/api/v1/users/user/: superusers manage every user; a manager sees and changes the
non-superuser members of the organizations they manage, and only those memberships."""
import uuid

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from monitoring.extensions import db
from monitoring.models import ApiToken, OrganizationUser, User

URL = "/api/v1/users/user/"
NOT_MANAGER = "User is not a manager of the organization to which the requested resource belongs."
NOT_FOUND = {"detail": "No User matches the given query."}
DUPLICATE = {"username": ["A user with that username already exists."]}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def memberships(user: User) -> dict:
    """{organization id: is_admin} as stored."""
    rows = db.session.execute(
        select(OrganizationUser.organization_id, OrganizationUser.is_admin).where(OrganizationUser.user_id == user.id)
    )
    return dict(rows.all())


def url(user: User) -> str:
    return f"{URL}{user.id}/"


def member(org, is_admin=False) -> dict:
    return {"organization": str(org.id), "is_admin": is_admin}


def invalid_pk(org_id) -> dict:
    return {"organization_users": [f'Invalid pk "{org_id}" - object does not exist.']}


@pytest.fixture
def world(make):
    """Organizations A and B; a manager of A; alice in A and B, bob only in B, and a
    superuser who is also a member of A."""
    org_a, org_b = make.org("A"), make.org("B")
    manager = make.user(manages=[org_a], username="manager")
    alice = make.user(member_of=[org_a, org_b], username="alice")
    bob = make.user(member_of=[org_b], username="bob")
    root = make.user(superuser=True, member_of=[org_a], username="root")
    return {"org_a": org_a, "org_b": org_b, "manager": manager, "alice": alice, "bob": bob, "root": root,
            "manager_headers": make.headers(manager), "root_headers": make.headers(root)}


# --- create -----------------------------------------------------------------------------


def test_superuser_creates_a_user(client, make, admin_headers):
    org = make.org()
    payload = {"username": "carol", "email": "carol@example.com", "password": "correct horse",
               "first_name": "Carol", "last_name": "Jones", "organization_users": [member(org, True)]}
    response = client.post(URL, headers=admin_headers, json=payload)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "username", "email", "first_name", "last_name", "is_superuser", "is_active",
                         "organization_users", "date_joined", "last_login"}
    assert body["username"] == "carol"
    assert body["email"] == "carol@example.com"
    assert (body["first_name"], body["last_name"]) == ("Carol", "Jones")
    assert body["is_superuser"] is False and body["is_active"] is True
    assert body["organization_users"] == [member(org, True)]
    assert body["date_joined"].endswith("Z")
    assert body["last_login"] is None
    user = db.session.get(User, uuid.UUID(body["id"]))
    assert memberships(user) == {org.id: True}


def test_password_is_hashed_and_never_returned(client, admin_headers):
    response = client.post(URL, headers=admin_headers,
                           json={"username": "dave", "password": "s3cret-password"})
    assert response.status_code == 201
    body = response.get_json()
    assert "password" not in body and "password_hash" not in body
    assert "s3cret-password" not in response.get_data(as_text=True)
    user = db.session.get(User, uuid.UUID(body["id"]))
    assert user.password_hash != "s3cret-password"
    assert user.password_hash.startswith("pbkdf2:sha256:")
    assert check_password_hash(user.password_hash, "s3cret-password")
    read = client.get(f"{URL}{body['id']}/", headers=admin_headers).get_json()
    assert "password" not in read and "password_hash" not in read
    token = client.post("/api/v1/users/token/", json={"username": "dave", "password": "s3cret-password"})
    assert token.status_code == 200


def test_create_defaults(client, admin_headers):
    body = client.post(URL, headers=admin_headers, json={"username": "erin", "password": "long-enough"}).get_json()
    assert body["email"] == "" and body["first_name"] == "" and body["last_name"] == ""
    assert body["organization_users"] == []
    assert body["is_active"] is True and body["is_superuser"] is False


def test_superuser_creates_a_superuser(client, admin_headers):
    response = client.post(URL, headers=admin_headers,
                           json={"username": "boss", "password": "long-enough", "is_superuser": True})
    assert response.status_code == 201
    assert response.get_json()["is_superuser"] is True
    assert db.session.execute(select(User.is_superuser).where(User.username == "boss")).scalar_one() is True


@pytest.mark.parametrize("payload, errors", [
    ({"password": "long-enough"}, {"username": ["This field is required."]}),
    ({"username": "frank"}, {"password": ["This field is required."]}),
    ({"username": "frank", "password": "short"}, {"password": ["Length must be between 8 and 128."]}),
    ({"username": "frank", "password": "x" * 129}, {"password": ["Length must be between 8 and 128."]}),
    ({"username": "has space", "password": "long-enough"},
     {"username": ["Enter a valid username: letters, digits and @/./+/-/_ only."]}),
    ({"username": "", "password": "long-enough"},
     {"username": ["Length must be between 1 and 150.",
                   "Enter a valid username: letters, digits and @/./+/-/_ only."]}),
    ({"username": "frank", "password": "long-enough", "email": "not-an-email"},
     {"email": ["Not a valid email address."]}),
    ({"username": "frank", "password": "long-enough", "is_superuser": "perhaps"},
     {"is_superuser": ["Not a valid boolean."]}),
])
def test_create_rejects_invalid_input(client, make, admin_headers, payload, errors):
    before = count(User)
    response = client.post(URL, headers=admin_headers, json=payload)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert count(User) == before


def test_malformed_memberships_are_400(client, make, admin_headers):
    org = make.org()
    before = count(User)
    response = client.post(URL, headers=admin_headers, json={
        "username": "gina", "password": "long-enough", "organization_users": [{"is_admin": True}]})
    assert response.status_code == 400
    assert response.get_json() == {"organization_users": {"0": {"organization": ["This field is required."]}}}
    response = client.post(URL, headers=admin_headers, json={
        "username": "gina", "password": "long-enough",
        "organization_users": [{"organization": "nope"}, member(org)]})
    assert response.status_code == 400
    assert response.get_json() == {"organization_users": {"0": {"organization": ["Not a valid UUID."]}}}
    response = client.post(URL, headers=admin_headers, json={
        "username": "gina", "password": "long-enough", "organization_users": "all"})
    assert response.status_code == 400
    assert list(response.get_json()) == ["organization_users"]
    assert count(User) == before
    assert count(OrganizationUser) == 0


def test_membership_of_an_unknown_organization_is_400(client, admin_headers):
    before = count(User)
    missing = uuid.uuid4()
    response = client.post(URL, headers=admin_headers, json={
        "username": "hank", "password": "long-enough", "organization_users": [{"organization": str(missing)}]})
    assert response.status_code == 400
    assert response.get_json() == invalid_pk(missing)
    assert count(User) == before


def test_duplicate_username_is_400(client, make, admin_headers):
    make.user(username="ivan")
    before = count(User)
    response = client.post(URL, headers=admin_headers, json={"username": "ivan", "password": "long-enough"})
    assert response.status_code == 400
    assert response.get_json() == DUPLICATE
    assert count(User) == before


def test_manager_creates_a_member_of_their_organization(client, world):
    org_a = world["org_a"]
    response = client.post(URL, headers=world["manager_headers"], json={
        "username": "judy", "password": "long-enough", "organization_users": [member(org_a)]})
    assert response.status_code == 201
    body = response.get_json()
    assert body["organization_users"] == [member(org_a)]
    judy = db.session.get(User, uuid.UUID(body["id"]))
    assert memberships(judy) == {org_a.id: False}
    listed = client.get(URL, headers=world["manager_headers"]).get_json()
    assert "judy" in [u["username"] for u in listed["results"]]


def test_manager_cannot_grant_superuser_status(client, world):
    users, links = count(User), count(OrganizationUser)
    response = client.post(URL, headers=world["manager_headers"], json={
        "username": "mallory", "password": "long-enough", "is_superuser": True,
        "organization_users": [member(world["org_a"])]})
    assert response.status_code == 403
    assert response.get_json() == {"detail": "Only superusers can grant superuser status."}
    assert (count(User), count(OrganizationUser)) == (users, links)


def test_manager_may_say_is_superuser_false(client, world):
    response = client.post(URL, headers=world["manager_headers"], json={
        "username": "kim", "password": "long-enough", "is_superuser": False,
        "organization_users": [member(world["org_a"])]})
    assert response.status_code == 201
    assert response.get_json()["is_superuser"] is False


@pytest.mark.parametrize("orgs", [["org_b"], ["org_a", "org_b"], ["org_b", "org_a"]])
def test_manager_cannot_add_users_to_organizations_they_do_not_manage(client, world, orgs):
    users, links = count(User), count(OrganizationUser)
    response = client.post(URL, headers=world["manager_headers"], json={
        "username": "leo", "password": "long-enough",
        "organization_users": [member(world[name]) for name in orgs]})
    assert response.status_code == 400
    assert response.get_json() == invalid_pk(world["org_b"].id)
    assert (count(User), count(OrganizationUser)) == (users, links)


def test_manager_cannot_add_users_to_a_disabled_organization_they_were_admin_of(client, make, world):
    disabled = make.org("disabled", is_active=False)
    manager = make.user(manages=[world["org_a"], disabled])
    users = count(User)
    response = client.post(URL, headers=make.headers(manager), json={
        "username": "mia", "password": "long-enough", "organization_users": [member(disabled)]})
    assert response.status_code == 400
    assert response.get_json() == invalid_pk(disabled.id)
    assert count(User) == users


@pytest.mark.parametrize("extra", [{}, {"organization_users": []}])
def test_manager_must_put_a_new_user_in_an_organization(client, world, extra):
    users = count(User)
    response = client.post(URL, headers=world["manager_headers"],
                           json={"username": "ned", "password": "long-enough", **extra})
    assert response.status_code == 400
    assert response.get_json() == {"organization_users": ["Add the user to at least one organization you manage."]}
    assert count(User) == users


def test_plain_member_cannot_create_users(client, make, world):
    member_headers = make.headers(world["alice"])
    users = count(User)
    response = client.post(URL, headers=member_headers, json={
        "username": "olga", "password": "long-enough", "organization_users": [member(world["org_a"])]})
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}
    assert count(User) == users


def test_create_needs_credentials(client, app_context):
    response = client.post(URL, json={"username": "anon", "password": "long-enough"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert count(User) == 0


# --- list and read ----------------------------------------------------------------------


def test_superuser_lists_every_user_with_every_membership(client, world):
    body = client.get(URL, headers=world["root_headers"]).get_json()
    assert body["count"] == 4
    assert [u["username"] for u in body["results"]] == ["alice", "bob", "manager", "root"]
    alice = next(u for u in body["results"] if u["username"] == "alice")
    assert sorted(m["organization"] for m in alice["organization_users"]) == \
        sorted([str(world["org_a"].id), str(world["org_b"].id)])


def test_manager_lists_non_superuser_members_of_managed_organizations(client, world):
    body = client.get(URL, headers=world["manager_headers"]).get_json()
    assert body["count"] == 2
    assert [u["username"] for u in body["results"]] == ["alice", "manager"]
    alice = body["results"][0]
    assert alice["organization_users"] == [member(world["org_a"])]
    assert body["results"][1]["organization_users"] == [member(world["org_a"], True)]


def test_list_pagination(client, make, admin_headers):
    for i in range(11):
        make.user(username=f"u{i:02d}")
    first = client.get(URL, headers=admin_headers).get_json()
    assert first["count"] == 12
    assert len(first["results"]) == 10
    assert first["next"] == f"http://localhost{URL}?page=2"
    response = client.get(f"{URL}?page=3", headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Invalid page."}


def test_list_filters_on_organization(client, world):
    body = client.get(f"{URL}?organization={world['org_b'].id}", headers=world["root_headers"]).get_json()
    assert [u["username"] for u in body["results"]] == ["alice", "bob"]


def test_manager_filtering_on_an_unmanaged_organization_sees_nothing(client, world):
    # alice is visible to the manager, but her membership of B is not theirs to see.
    body = client.get(f"{URL}?organization={world['org_b'].id}", headers=world["manager_headers"]).get_json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    body = client.get(f"{URL}?organization={world['org_a'].id}", headers=world["manager_headers"]).get_json()
    assert [u["username"] for u in body["results"]] == ["alice", "manager"]


def test_invalid_organization_filter_is_400(client, world):
    response = client.get(f"{URL}?organization=not-a-uuid", headers=world["root_headers"])
    assert response.status_code == 400
    assert response.get_json() == {"organization": ["Not a valid UUID."]}


def test_manager_reads_a_member_with_only_the_memberships_they_manage(client, world):
    response = client.get(url(world["alice"]), headers=world["manager_headers"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == "alice"
    assert body["organization_users"] == [member(world["org_a"])]


@pytest.mark.parametrize("name", ["bob", "root"])
def test_manager_cannot_read_users_outside_their_organizations_or_superusers(client, world, name):
    response = client.get(url(world[name]), headers=world["manager_headers"])
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_manager_reads_their_own_record(client, world):
    body = client.get(url(world["manager"]), headers=world["manager_headers"]).get_json()
    assert body["username"] == "manager"
    assert body["organization_users"] == [member(world["org_a"], True)]


def test_read_unknown_user_is_404(client, admin_headers):
    response = client.get(f"{URL}{uuid.uuid4()}/", headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_plain_member_cannot_list_or_read_users(client, make, world):
    headers = make.headers(world["bob"])
    for path in (URL, url(world["bob"])):
        response = client.get(path, headers=headers)
        assert response.status_code == 403
        assert response.get_json() == {"detail": NOT_MANAGER}


def test_manager_of_a_disabled_organization_manages_no_users(client, make, world):
    world["org_a"].is_active = False
    db.session.commit()
    response = client.get(URL, headers=world["manager_headers"])
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}


# --- update -----------------------------------------------------------------------------


def test_manager_patch_replaces_only_memberships_they_manage(client, world):
    alice, org_a, org_b = world["alice"], world["org_a"], world["org_b"]
    response = client.patch(url(alice), headers=world["manager_headers"],
                            json={"organization_users": [member(org_a, True)]})
    assert response.status_code == 200
    assert response.get_json()["organization_users"] == [member(org_a, True)]
    assert memberships(alice) == {org_a.id: True, org_b.id: False}


def test_manager_removing_the_last_managed_membership_keeps_the_others(client, world):
    alice, org_b = world["alice"], world["org_b"]
    response = client.patch(url(alice), headers=world["manager_headers"], json={"organization_users": []})
    assert response.status_code == 200
    assert response.get_json()["organization_users"] == []
    assert memberships(alice) == {org_b.id: False}
    # alice is no longer one of the manager's users.
    response = client.get(url(alice), headers=world["manager_headers"])
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_patch_without_memberships_leaves_them_alone(client, world):
    alice = world["alice"]
    before = memberships(alice)
    response = client.patch(url(alice), headers=world["root_headers"], json={"first_name": "Alice"})
    assert response.status_code == 200
    assert response.get_json()["first_name"] == "Alice"
    assert memberships(alice) == before
    assert fresh(alice).first_name == "Alice"


def test_manager_cannot_move_a_user_to_an_unmanaged_organization(client, make, world):
    alice, org_a, org_b = world["alice"], world["org_a"], world["org_b"]
    org_c = make.org("C")
    response = client.patch(url(alice), headers=world["manager_headers"],
                            json={"organization_users": [member(org_c)]})
    assert response.status_code == 400
    assert response.get_json() == invalid_pk(org_c.id)
    assert memberships(alice) == {org_a.id: False, org_b.id: False}


def test_manager_cannot_promote_a_membership_of_another_organization(client, world):
    alice, org_a, org_b = world["alice"], world["org_a"], world["org_b"]
    response = client.patch(url(alice), headers=world["manager_headers"],
                            json={"organization_users": [member(org_a), member(org_b, True)]})
    assert response.status_code == 400
    assert response.get_json() == invalid_pk(org_b.id)
    assert memberships(alice) == {org_a.id: False, org_b.id: False}


def test_superuser_patch_replaces_every_membership(client, make, world):
    alice, org_b = world["alice"], world["org_b"]
    org_c = make.org("C")
    response = client.patch(url(alice), headers=world["root_headers"],
                            json={"organization_users": [member(org_b, True), member(org_c)]})
    assert response.status_code == 200
    assert sorted(response.get_json()["organization_users"], key=lambda m: m["organization"]) == \
        sorted([member(org_b, True), member(org_c)], key=lambda m: m["organization"])
    assert memberships(alice) == {org_b.id: True, org_c.id: False}


def test_patch_password_changes_the_login(client, make, world):
    judy = make.user(member_of=[world["org_a"]], username="judy")
    old_hash = judy.password_hash
    response = client.patch(url(judy), headers=world["manager_headers"], json={"password": "brand-new-pass"})
    assert response.status_code == 200
    assert "password" not in response.get_json()
    assert fresh(judy).password_hash != old_hash
    token = "/api/v1/users/token/"
    assert client.post(token, json={"username": "judy", "password": "brand-new-pass"}).status_code == 200
    assert client.post(token, json={"username": "judy", "password": "secret-pass"}).status_code == 400


def test_patch_short_password_is_400(client, world):
    alice = world["alice"]
    old_hash = alice.password_hash
    response = client.patch(url(alice), headers=world["root_headers"], json={"password": "short"})
    assert response.status_code == 400
    assert response.get_json() == {"password": ["Length must be between 8 and 128."]}
    assert fresh(alice).password_hash == old_hash


def test_patch_to_a_taken_username_is_400(client, world):
    manager = world["manager"]
    response = client.patch(url(manager), headers=world["manager_headers"],
                            json={"username": "alice", "email": "a@b.example"})
    assert response.status_code == 400
    assert response.get_json() == DUPLICATE
    row = fresh(manager)
    assert row.username == "manager" and row.email != "a@b.example"


def test_patch_keeping_the_own_username_is_fine(client, world):
    response = client.patch(url(world["alice"]), headers=world["manager_headers"], json={"username": "alice"})
    assert response.status_code == 200


@pytest.mark.parametrize("target", ["alice", "manager"])
def test_manager_cannot_make_anyone_a_superuser(client, world, target):
    response = client.patch(url(world[target]), headers=world["manager_headers"], json={"is_superuser": True})
    assert response.status_code == 403
    assert response.get_json() == {"detail": "Only superusers can grant superuser status."}
    assert fresh(world[target]).is_superuser is False


def test_superuser_grants_and_revokes_superuser_status(client, world):
    alice = world["alice"]
    assert client.patch(url(alice), headers=world["root_headers"], json={"is_superuser": True}).status_code == 200
    assert fresh(alice).is_superuser is True
    # Now hidden from the manager, even though she is still a member of A.
    assert client.get(url(alice), headers=world["manager_headers"]).status_code == 404
    assert client.patch(url(alice), headers=world["root_headers"], json={"is_superuser": False}).status_code == 200
    assert fresh(alice).is_superuser is False


@pytest.mark.parametrize("name", ["bob", "root"])
def test_manager_cannot_change_users_they_do_not_see(client, world, name):
    target = world[name]
    response = client.patch(url(target), headers=world["manager_headers"], json={"first_name": "Hacked"})
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND
    assert fresh(target).first_name == ""


def test_put_needs_the_username(client, world):
    response = client.put(url(world["alice"]), headers=world["root_headers"], json={"email": "x@example.com"})
    assert response.status_code == 400
    assert response.get_json() == {"username": ["This field is required."]}
    assert fresh(world["alice"]).email != "x@example.com"


def test_put_replaces_the_given_fields(client, world):
    alice = world["alice"]
    response = client.put(url(alice), headers=world["root_headers"], json={
        "username": "alice.smith", "email": "alice@example.org", "is_active": False})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["username"], body["email"], body["is_active"]) == ("alice.smith", "alice@example.org", False)
    row = fresh(alice)
    assert (row.username, row.email, row.is_active) == ("alice.smith", "alice@example.org", False)
    assert memberships(alice) == {world["org_a"].id: False, world["org_b"].id: False}


# --- delete -----------------------------------------------------------------------------


def test_superuser_deletes_a_user_with_memberships_and_tokens(client, make, world):
    alice = world["alice"]
    alice_id = alice.id
    alice_headers = make.headers(alice)
    response = client.delete(url(alice), headers=world["root_headers"])
    assert response.status_code == 204
    assert response.data == b""
    db.session.expire_all()
    assert db.session.get(User, alice_id) is None
    assert db.session.scalar(select(func.count()).where(OrganizationUser.user_id == alice_id)) == 0
    assert db.session.scalar(select(func.count()).where(ApiToken.user_id == alice_id)) == 0
    response = client.get(URL, headers=alice_headers)
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid token."}


def test_manager_deletes_a_user_only_in_organizations_they_manage(client, make, world):
    judy = make.user(member_of=[world["org_a"]], username="judy")
    judy_id = judy.id
    response = client.delete(url(judy), headers=world["manager_headers"])
    assert response.status_code == 204
    db.session.expire_all()
    assert db.session.get(User, judy_id) is None


def test_manager_cannot_delete_a_user_of_other_organizations_too(client, world):
    users = count(User)
    response = client.delete(url(world["alice"]), headers=world["manager_headers"])
    assert response.status_code == 403
    assert response.get_json() == {"detail": "The user belongs to organizations you do not manage."}
    assert count(User) == users
    assert len(memberships(world["alice"])) == 2


@pytest.mark.parametrize("name", ["bob", "root"])
def test_manager_cannot_delete_users_they_do_not_see(client, world, name):
    users = count(User)
    response = client.delete(url(world[name]), headers=world["manager_headers"])
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND
    assert count(User) == users


def test_delete_unknown_user_is_404(client, world):
    response = client.delete(f"{URL}{uuid.uuid4()}/", headers=world["root_headers"])
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_plain_member_cannot_delete(client, make, world):
    users = count(User)
    response = client.delete(url(world["alice"]), headers=make.headers(world["alice"]))
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}
    assert count(User) == users


def test_manager_cannot_take_over_an_account_that_belongs_to_another_tenant(client, make):
    from monitoring.models import User

    org_a, org_b = make.org(), make.org()
    manager_a = make.user(manages=[org_a])
    alice = make.user(member_of=[org_a], manages=[org_b], password="alice-original")
    headers = make.headers(manager_a)
    url = f"/api/v1/users/user/{alice.id}/"
    for change in ({"password": "taken-over-1"}, {"email": "x@evil.example"}, {"username": "mallory"},
                   {"is_active": False}):
        response = client.patch(url, json=change, headers=headers)
        assert response.status_code == 403, change
    db.session.expire_all()
    unchanged = db.session.get(User, alice.id)
    assert unchanged.username == alice.username and unchanged.is_active
    assert client.post("/api/v1/users/token/", json={"username": alice.username, "password": "alice-original"}
                       ).status_code == 200
    # Memberships of the manager's own organization stay manageable.
    response = client.patch(url, json={"organization_users": [{"organization": str(org_a.id), "is_admin": True}]},
                            headers=headers)
    assert response.status_code == 200


def test_manager_cannot_rename_a_user_shared_with_another_tenant(client, make, world):
    """Alice is also in B: her name is what B's people see, so only whoever manages all of her
    organizations renames her."""
    alice = world["alice"]
    alice.first_name, alice.last_name = "Alice", "Liddell"
    db.session.commit()
    for change in ({"first_name": "Click here"}, {"last_name": "[urgent](https://evil.example)"},
                   {"first_name": "Alice", "last_name": ""}):
        response = client.patch(url(alice), json=change, headers=world["manager_headers"])
        assert response.status_code == 403, change
        assert response.get_json() == {"detail": "The user belongs to organizations you do not manage: "
                                                 "only their memberships of your organizations can be changed."}
    assert (fresh(alice).first_name, fresh(alice).last_name) == ("Alice", "Liddell")
    # Sending the names unchanged is no renaming (a PUT of what was read).
    response = client.patch(url(alice), json={"first_name": "Alice", "last_name": "Liddell"},
                            headers=world["manager_headers"])
    assert response.status_code == 200

    both = make.headers(make.user(manages=[world["org_a"], world["org_b"]]))
    for headers in (both, world["root_headers"]):
        response = client.patch(url(alice), json={"first_name": "Alicia"}, headers=headers)
        assert response.status_code == 200 and response.get_json()["first_name"] == "Alicia"


def test_manager_renames_a_user_only_in_organizations_they_manage(client, make, world):
    carol = make.user(member_of=[world["org_a"]], username="carol")
    response = client.patch(url(carol), json={"first_name": "Carol", "last_name": "Danvers"},
                            headers=world["manager_headers"])
    assert response.status_code == 200
    assert (fresh(carol).first_name, fresh(carol).last_name) == ("Carol", "Danvers")
