"""/api/v1/users/organization/: superusers create and delete organizations, their managers
list, read and change them, and a disabled organization has no managers."""
import uuid

import pytest
from sqlalchemy import func, select

from monitoring.extensions import db
from monitoring.models import Organization, OrganizationUser

URL = "/api/v1/users/organization/"
NOT_MANAGER = "User is not a manager of the organization to which the requested resource belongs."
NO_PERMISSION = "You do not have permission to perform this action."
NOT_FOUND = {"detail": "No Organization matches the given query."}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def url(org) -> str:
    return f"{URL}{org.id}/"


@pytest.fixture
def org(make):
    return make.org("acme")


@pytest.fixture
def manager(make, org):
    return make.user(manages=[org])


@pytest.fixture
def manager_headers(make, manager):
    return make.headers(manager)


# --- list -------------------------------------------------------------------------------


def test_list_for_superuser_has_every_organization_ordered_by_name(client, make, admin_headers):
    for name in ("charlie", "alpha", "delta", "bravo"):
        make.org(name)
    make.org("echo", is_active=False)
    response = client.get(URL, headers=admin_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 5
    assert body["next"] is None and body["previous"] is None
    assert [o["name"] for o in body["results"]] == ["alpha", "bravo", "charlie", "delta", "echo"]


def test_list_item_shape(client, make, admin_headers):
    org = make.org("shape")
    item = client.get(URL, headers=admin_headers).get_json()["results"][0]
    assert set(item) == {"id", "name", "slug", "description", "is_active", "created", "modified"}
    assert item["id"] == str(org.id)
    assert item["slug"] == org.slug
    assert item["description"] == ""
    assert item["is_active"] is True
    assert item["created"].endswith("Z") and item["modified"].endswith("Z")


def test_list_filters_on_is_active(client, make, admin_headers):
    make.org("on")
    make.org("off", is_active=False)
    inactive = client.get(f"{URL}?is_active=false", headers=admin_headers).get_json()
    assert [o["name"] for o in inactive["results"]] == ["off"]
    active = client.get(f"{URL}?is_active=true", headers=admin_headers).get_json()
    assert [o["name"] for o in active["results"]] == ["on"]


def test_manager_lists_only_the_active_organizations_they_manage(client, make):
    mine = make.org("mine")
    make.org("other")
    disabled = make.org("disabled", is_active=False)
    member_only = make.org("member-only")
    manager = make.user(manages=[mine, disabled], member_of=[member_only])
    body = client.get(URL, headers=make.headers(manager)).get_json()
    assert body["count"] == 1
    assert [o["id"] for o in body["results"]] == [str(mine.id)]


def test_pagination_default_page_size_next_and_previous(client, make, admin_headers):
    for i in range(12):
        make.org(f"org-{i:02d}")
    first = client.get(URL, headers=admin_headers).get_json()
    assert first["count"] == 12
    assert len(first["results"]) == 10
    assert first["previous"] is None
    assert first["next"] == f"http://localhost{URL}?page=2"
    second = client.get(first["next"], headers=admin_headers).get_json()
    assert [o["name"] for o in second["results"]] == ["org-10", "org-11"]
    assert second["next"] is None
    assert second["previous"] == f"http://localhost{URL}"


def test_pagination_keeps_other_parameters_in_links(client, make, admin_headers):
    for i in range(5):
        make.org(f"org-{i}")
    body = client.get(f"{URL}?page_size=2&page=2&is_active=true", headers=admin_headers).get_json()
    assert [o["name"] for o in body["results"]] == ["org-2", "org-3"]
    assert body["next"] == f"http://localhost{URL}?page_size=2&is_active=true&page=3"
    assert body["previous"] == f"http://localhost{URL}?page_size=2&is_active=true"


@pytest.mark.parametrize("page_size", ["0", "-3", "abc", ""])
def test_invalid_page_size_means_the_default(client, make, admin_headers, page_size):
    for i in range(11):
        make.org(f"org-{i:02d}")
    body = client.get(f"{URL}?page_size={page_size}", headers=admin_headers).get_json()
    assert body["count"] == 11
    assert len(body["results"]) == 10


def test_page_size_is_capped_at_100(client, make, admin_headers):
    db.session.add_all(Organization(name=f"bulk-{i:03d}", slug=f"bulk-{i:03d}") for i in range(105))
    db.session.commit()
    body = client.get(f"{URL}?page_size=1000", headers=admin_headers).get_json()
    assert body["count"] == 105
    assert len(body["results"]) == 100
    assert body["next"] == f"http://localhost{URL}?page_size=1000&page=2"
    assert len(client.get(body["next"], headers=admin_headers).get_json()["results"]) == 5


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc"])
def test_invalid_page_is_404(client, make, admin_headers, page):
    make.org("only")
    response = client.get(f"{URL}?page={page}", headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Invalid page."}


def test_empty_list_is_one_empty_page(client, admin_headers):
    response = client.get(URL, headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_needs_credentials(client, make):
    make.org()
    response = client.get(URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json() == {"detail": "Authentication credentials were not provided."}


def test_plain_member_cannot_list(client, make, org):
    member = make.user(member_of=[org])
    response = client.get(URL, headers=make.headers(member))
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}


# --- create -----------------------------------------------------------------------------


def test_superuser_creates_an_organization(client, admin_headers):
    payload = {"name": "New Org", "slug": "new-org", "description": "first", "is_active": True}
    response = client.post(URL, headers=admin_headers, json=payload)
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in payload} == payload
    row = db.session.get(Organization, uuid.UUID(body["id"]))
    assert (row.name, row.slug, row.description, row.is_active) == ("New Org", "new-org", "first", True)
    assert client.get(f"{URL}{body['id']}/", headers=admin_headers).get_json() == body


def test_create_defaults(client, admin_headers):
    response = client.post(URL, headers=admin_headers, json={"name": "Plain"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["slug"] == "plain"
    assert body["description"] == ""
    assert body["is_active"] is True


def test_create_inactive(client, admin_headers):
    response = client.post(URL, headers=admin_headers, json={"name": "Dormant", "is_active": False})
    assert response.status_code == 201
    assert response.get_json()["is_active"] is False


@pytest.mark.parametrize("name, slug", [
    ("My Big Org", "my-big-org"),
    ("  Spaces   and -- dashes  ", "spaces-and-dashes"),
    ("Acme, Inc. (EU)", "acme-inc-eu"),
    ("Café Zürich", "cafe-zurich"),
    ("under_score", "under_score"),
])
def test_slug_is_derived_from_the_name(client, admin_headers, name, slug):
    response = client.post(URL, headers=admin_headers, json={"name": name})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["slug"] == slug


def test_derived_slug_is_accepted_back_by_put(client, admin_headers):
    created = client.post(URL, headers=admin_headers, json={"name": "Ärger Österreich"}).get_json()
    response = client.put(f"{URL}{created['id']}/", headers=admin_headers,
                          json={"name": created["name"], "slug": created["slug"]})
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("name", ["!!!", "日本語", " - "])
def test_name_without_slug_characters_still_gets_a_valid_slug(client, admin_headers, name):
    response = client.post(URL, headers=admin_headers, json={"name": name})
    assert response.status_code == 201
    slug = response.get_json()["slug"]
    assert slug and all(c.isascii() and (c.isalnum() or c in "-_") for c in slug)


def test_create_needs_a_name(client, admin_headers):
    response = client.post(URL, headers=admin_headers, json={"slug": "nameless"})
    assert response.status_code == 400
    assert response.get_json() == {"name": ["This field is required."]}
    assert count(Organization) == 0


@pytest.mark.parametrize("payload, errors", [
    ({"name": ""}, {"name": ["Length must be between 1 and 128."]}),
    ({"name": "x" * 129}, {"name": ["Length must be between 1 and 128."]}),
    ({"name": None}, {"name": ["This field may not be null."]}),
    ({"name": "ok", "slug": "not a slug"}, {"slug": ["Enter a valid slug."]}),
    ({"name": "ok", "slug": ""}, {"slug": ["Length must be between 1 and 128.", "Enter a valid slug."]}),
    ({"name": "ok", "is_active": "maybe"}, {"is_active": ["Not a valid boolean."]}),
])
def test_create_rejects_invalid_fields(client, admin_headers, payload, errors):
    response = client.post(URL, headers=admin_headers, json=payload)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert count(Organization) == 0


def test_duplicate_slug_is_400(client, make, admin_headers):
    existing = make.org("first")
    response = client.post(URL, headers=admin_headers, json={"name": "second", "slug": existing.slug})
    assert response.status_code == 400
    assert response.get_json() == {"slug": ["organization with this slug already exists."]}
    assert count(Organization) == 1


def test_duplicate_derived_slug_is_400(client, admin_headers):
    assert client.post(URL, headers=admin_headers, json={"name": "Twin"}).status_code == 201
    response = client.post(URL, headers=admin_headers, json={"name": "twin"})
    assert response.status_code == 400
    assert response.get_json() == {"slug": ["organization with this slug already exists."]}
    assert count(Organization) == 1


def test_manager_cannot_create(client, manager_headers):
    response = client.post(URL, headers=manager_headers, json={"name": "mine too"})
    assert response.status_code == 403
    assert response.get_json() == {"detail": NO_PERMISSION}
    assert count(Organization) == 1


def test_manager_is_refused_before_the_body_is_validated(client, manager_headers):
    response = client.post(URL, headers=manager_headers, json={})
    assert response.status_code == 403
    assert response.get_json() == {"detail": NO_PERMISSION}


def test_create_needs_credentials(client, app_context):
    response = client.post(URL, json={"name": "anon"})
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Authentication credentials were not provided."}
    assert count(Organization) == 0


# --- read -------------------------------------------------------------------------------


def test_read(client, org, admin_headers, manager_headers):
    for headers in (admin_headers, manager_headers):
        response = client.get(url(org), headers=headers)
        assert response.status_code == 200
        body = response.get_json()
        assert body["id"] == str(org.id)
        assert body["name"] == "acme"
        assert body["slug"] == org.slug


def test_manager_cannot_read_another_organization(client, make, manager_headers):
    other = make.org("other")
    response = client.get(url(other), headers=manager_headers)
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_read_unknown_is_404(client, admin_headers):
    response = client.get(f"{URL}{uuid.uuid4()}/", headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


# --- put / patch ------------------------------------------------------------------------


def test_put_replaces_the_given_fields(client, org, admin_headers):
    response = client.put(url(org), headers=admin_headers,
                          json={"name": "Acme Ltd", "slug": "acme-ltd", "description": "d"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["slug"], body["description"], body["is_active"]) == ("Acme Ltd", "acme-ltd", "d", True)
    row = fresh(org)
    assert (row.name, row.slug, row.description) == ("Acme Ltd", "acme-ltd", "d")


def test_put_needs_the_name(client, org, admin_headers):
    response = client.put(url(org), headers=admin_headers, json={"slug": "renamed"})
    assert response.status_code == 400
    assert response.get_json() == {"name": ["This field is required."]}
    assert fresh(org).slug != "renamed"


def test_put_without_slug_keeps_it(client, org, admin_headers):
    slug = org.slug
    response = client.put(url(org), headers=admin_headers, json={"name": "Renamed"})
    assert response.status_code == 200
    assert response.get_json()["slug"] == slug
    assert fresh(org).name == "Renamed"


def test_patch_changes_only_the_given_fields(client, org, manager_headers):
    before = client.get(url(org), headers=manager_headers).get_json()
    response = client.patch(url(org), headers=manager_headers, json={"description": "hello"})
    assert response.status_code == 200
    after = response.get_json()
    assert after["description"] == "hello"
    assert {k: v for k, v in after.items() if k not in ("description", "modified")} == \
        {k: v for k, v in before.items() if k not in ("description", "modified")}
    assert after["modified"] >= before["modified"]


def test_empty_patch_changes_nothing(client, org, admin_headers):
    before = client.get(url(org), headers=admin_headers).get_json()
    response = client.patch(url(org), headers=admin_headers, json={})
    assert response.status_code == 200
    assert response.get_json()["name"] == before["name"]
    assert response.get_json()["slug"] == before["slug"]


def test_patch_to_a_taken_slug_is_400_and_changes_nothing(client, make, org, admin_headers):
    other = make.org("other")
    response = client.patch(url(org), headers=admin_headers, json={"name": "renamed", "slug": other.slug})
    assert response.status_code == 400
    assert response.get_json() == {"slug": ["organization with this slug already exists."]}
    row = fresh(org)
    assert row.name == "acme" and row.slug != other.slug


def test_only_superusers_change_a_slug(client, make, org, manager_headers):
    """A slug is unique across tenants: were a manager to choose one, the answer would tell
    which slugs other organizations have. The same answer whether the slug is taken or free."""
    other = make.org("other")
    for slug in (other.slug, "free-slug"):
        response = client.patch(url(org), headers=manager_headers, json={"name": "renamed", "slug": slug})
        assert response.status_code == 403, slug
        assert response.get_json() == {"detail": "Only superusers can change an organization's slug."}
    row = fresh(org)
    assert (row.name, row.slug) == ("acme", org.slug)
    # Its own slug, unchanged, is fine (a PUT of what was read).
    response = client.put(url(org), headers=manager_headers, json={"name": "Acme Ltd", "slug": org.slug})
    assert response.status_code == 200
    assert (fresh(org).name, fresh(org).slug) == ("Acme Ltd", org.slug)


def test_patch_keeping_its_own_slug_is_fine(client, org, admin_headers):
    response = client.patch(url(org), headers=admin_headers, json={"slug": org.slug, "name": "same slug"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "same slug"


@pytest.mark.parametrize("payload, field", [
    ({"name": ""}, "name"),
    ({"slug": "with space"}, "slug"),
    ({"slug": None}, "slug"),
    ({"is_active": None}, "is_active"),
])
def test_invalid_patch_is_400_and_changes_nothing(client, org, admin_headers, payload, field):
    before = client.get(url(org), headers=admin_headers).get_json()
    response = client.patch(url(org), headers=admin_headers, json=payload)
    assert response.status_code == 400
    assert list(response.get_json()) == [field]
    assert client.get(url(org), headers=admin_headers).get_json() == before


def test_manager_cannot_change_another_organization(client, make, manager_headers):
    other = make.org("other")
    for method in (client.put, client.patch):
        response = method(url(other), headers=manager_headers, json={"name": "taken over"})
        assert response.status_code == 404
        assert response.get_json() == NOT_FOUND
    assert fresh(other).name == "other"


def test_plain_member_cannot_change_their_organization(client, make, org):
    member = make.user(member_of=[org])
    response = client.patch(url(org), headers=make.headers(member), json={"name": "mine"})
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}
    assert fresh(org).name == "acme"


def test_disabling_an_organization_ends_its_management(client, make, org, manager, manager_headers):
    response = client.patch(url(org), headers=manager_headers, json={"is_active": False})
    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert fresh(org).is_active is False
    # The manager manages nothing any more: every management endpoint refuses them.
    for method, path in (("get", URL), ("get", url(org)), ("patch", url(org))):
        response = client.open(path, method=method.upper(), headers=manager_headers, json={"is_active": True})
        assert response.status_code == 403, path
        assert response.get_json() == {"detail": NOT_MANAGER}
    assert fresh(org).is_active is False
    # The membership itself is kept: enabling the organization again restores it.
    assert count(OrganizationUser) == 1


def test_disabled_organization_drops_out_of_a_managers_list(client, make, org, manager_headers, admin_headers):
    other = make.org("other")
    manager = make.user(manages=[org, other])
    headers = make.headers(manager)
    assert client.get(URL, headers=headers).get_json()["count"] == 2
    assert client.patch(url(other), headers=headers, json={"is_active": False}).status_code == 200
    body = client.get(URL, headers=headers).get_json()
    assert [o["id"] for o in body["results"]] == [str(org.id)]
    response = client.get(url(other), headers=headers)
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND
    # A superuser still sees it and can enable it again, which restores the manager.
    assert client.patch(url(other), headers=admin_headers, json={"is_active": True}).status_code == 200
    assert client.get(URL, headers=headers).get_json()["count"] == 2


# --- delete -----------------------------------------------------------------------------


def test_superuser_deletes_an_organization(client, make, org, manager, admin_headers):
    make.device(org)
    response = client.delete(url(org), headers=admin_headers)
    assert response.status_code == 204
    assert response.data == b""
    assert count(Organization) == 0
    assert count(OrganizationUser) == 0
    assert client.get(url(org), headers=admin_headers).status_code == 404
    response = client.get(URL, headers=make.headers(manager))
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}


def test_manager_cannot_delete(client, org, manager_headers):
    response = client.delete(url(org), headers=manager_headers)
    assert response.status_code == 403
    assert response.get_json() == {"detail": NO_PERMISSION}
    assert count(Organization) == 1


def test_delete_unknown_is_404(client, make, admin_headers):
    make.org()
    response = client.delete(f"{URL}{uuid.uuid4()}/", headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND
    assert count(Organization) == 1


def test_delete_needs_credentials(client, org):
    response = client.delete(url(org))
    assert response.status_code == 401
    assert count(Organization) == 1
