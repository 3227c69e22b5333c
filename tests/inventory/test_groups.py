"""/api/v1/controller/group/: device groups of an organization."""
from __future__ import annotations

import uuid

import pytest

from monitoring.models import Device, DeviceGroup
from tests.inventory.support import NOT_AUTHENTICATED, NOT_MANAGER, TIMESTAMP_RE, count, fresh, invalid_pk, make_group

URL = "/api/v1/controller/group/"
NOT_FOUND = {"detail": "No DeviceGroup matches the given query."}
DUPLICATE = {"name": ["A device group with this name already exists in the organization."]}


def detail_url(group_id) -> str:
    return f"{URL}{group_id}/"


def test_create(client, tenants):
    response = client.post(URL, headers=tenants.headers_a,
                           json={"organization": str(tenants.a.id), "name": "access points", "description": "APs"})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "organization", "name", "description", "created", "modified"}
    assert uuid.UUID(body["id"])
    assert body["organization"] == str(tenants.a.id)
    assert body["name"] == "access points"
    assert body["description"] == "APs"
    assert TIMESTAMP_RE.match(body["created"]) and TIMESTAMP_RE.match(body["modified"])
    row = fresh(DeviceGroup, body["id"])
    assert (row.organization_id, row.name, row.description) == (tenants.a.id, "access points", "APs")


def test_create_description_defaults_to_empty(client, tenants):
    response = client.post(URL, headers=tenants.headers_a, json={"organization": str(tenants.a.id), "name": "g"})
    assert response.status_code == 201
    assert response.get_json()["description"] == ""


def test_create_requires_fields(client, tenants):
    response = client.post(URL, headers=tenants.headers_a, json={})
    assert response.status_code == 400
    assert response.get_json() == {
        "organization": ["This field is required."],
        "name": ["This field is required."],
    }
    assert count(DeviceGroup) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Length must be between 1 and 64."),
    ("name", "n" * 65, "Length must be between 1 and 64."),
    ("name", None, "This field may not be null."),
    ("organization", "nope", "Not a valid UUID."),
    ("description", 42, "Not a valid string."),
])
def test_invalid_field_is_400(client, tenants, field, value, message):
    data = {"organization": str(tenants.a.id), "name": "g", field: value}
    response = client.post(URL, headers=tenants.headers_a, json=data)
    assert response.status_code == 400
    assert response.get_json() == {field: [message]}
    assert count(DeviceGroup) == 0


def test_duplicate_name_in_same_org_is_400(client, tenants):
    make_group(tenants.a, "core")
    response = client.post(URL, headers=tenants.headers_a, json={"organization": str(tenants.a.id), "name": "core"})
    assert response.status_code == 400
    assert response.get_json() == DUPLICATE
    assert count(DeviceGroup) == 1


def test_same_name_in_another_org_is_allowed(client, tenants):
    make_group(tenants.b, "core")
    response = client.post(URL, headers=tenants.headers_a, json={"organization": str(tenants.a.id), "name": "core"})
    assert response.status_code == 201
    assert count(DeviceGroup) == 2


@pytest.mark.parametrize("which", ["other", "missing"])
def test_create_in_unmanaged_org_is_400(client, tenants, which):
    org_id = tenants.b.id if which == "other" else uuid.uuid4()
    response = client.post(URL, headers=tenants.headers_a, json={"organization": str(org_id), "name": "g"})
    assert response.status_code == 400
    assert response.get_json() == {"organization": invalid_pk(org_id)}
    assert count(DeviceGroup) == 0


def test_list_detail_and_filter(client, tenants):
    beta, alpha = make_group(tenants.a, "beta"), make_group(tenants.a, "alpha")
    other = make_group(tenants.b, "gamma")

    body = client.get(URL, headers=tenants.headers_super).get_json()
    assert body["count"] == 3
    assert [g["name"] for g in body["results"]] == ["alpha", "beta", "gamma"]

    body = client.get(URL, headers=tenants.headers_super, query_string={"organization": str(tenants.b.id)}).get_json()
    assert [g["id"] for g in body["results"]] == [str(other.id)]

    body = client.get(URL, headers=tenants.headers_a).get_json()
    assert body["count"] == 2
    assert [g["id"] for g in body["results"]] == [str(alpha.id), str(beta.id)]

    response = client.get(detail_url(beta.id), headers=tenants.headers_a)
    assert response.status_code == 200
    assert response.get_json()["name"] == "beta"
    assert response.get_json()["organization"] == str(tenants.a.id)


def test_list_pagination(client, tenants):
    for i in range(3):
        make_group(tenants.a, f"g{i}")
    body = client.get(URL, headers=tenants.headers_a, query_string={"page_size": 2}).get_json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert body["next"] == "http://localhost/api/v1/controller/group/?page_size=2&page=2"
    response = client.get(URL, headers=tenants.headers_a, query_string={"page": 3, "page_size": 2})
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Invalid page."}


def test_put_and_patch(client, tenants):
    group = make_group(tenants.a, "old", description="d")
    response = client.put(detail_url(group.id), headers=tenants.headers_a,
                          json={"organization": str(tenants.a.id), "name": "new", "description": "changed"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "new"
    assert response.get_json()["description"] == "changed"

    response = client.patch(detail_url(group.id), headers=tenants.headers_a, json={"description": "again"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "new"
    assert response.get_json()["description"] == "again"
    row = fresh(DeviceGroup, group.id)
    assert (row.name, row.description) == ("new", "again")


def test_put_requires_fields(client, tenants):
    group = make_group(tenants.a, "keep")
    response = client.put(detail_url(group.id), headers=tenants.headers_a, json={"description": "x"})
    assert response.status_code == 400
    assert response.get_json() == {"organization": ["This field is required."], "name": ["This field is required."]}
    assert fresh(DeviceGroup, group.id).description == ""


def test_rename_to_taken_name_is_400(client, tenants):
    make_group(tenants.a, "taken")
    group = make_group(tenants.a, "mine")
    response = client.patch(detail_url(group.id), headers=tenants.headers_a, json={"name": "taken"})
    assert response.status_code == 400
    assert response.get_json() == DUPLICATE
    assert fresh(DeviceGroup, group.id).name == "mine"
    # keeping its own name is fine
    response = client.patch(detail_url(group.id), headers=tenants.headers_a, json={"name": "mine"})
    assert response.status_code == 200


def test_organization_cannot_change(client, tenants):
    group = make_group(tenants.a, "g")
    response = client.patch(detail_url(group.id), headers=tenants.headers_super,
                            json={"organization": str(tenants.b.id)})
    assert response.status_code == 400
    assert response.get_json() == {"organization": ["The organization of a group cannot be changed."]}
    response = client.put(detail_url(group.id), headers=tenants.headers_super,
                          json={"organization": str(tenants.b.id), "name": "g"})
    assert response.status_code == 400
    assert fresh(DeviceGroup, group.id).organization_id == tenants.a.id
    # sending the same organization is not a change
    response = client.patch(detail_url(group.id), headers=tenants.headers_a, json={"organization": str(tenants.a.id)})
    assert response.status_code == 200


def test_delete_leaves_devices_ungrouped(client, tenants, make):
    group = make_group(tenants.a, "g")
    devices = [make.device(tenants.a, group_id=group.id) for _ in range(2)]
    response = client.delete(detail_url(group.id), headers=tenants.headers_a)
    assert response.status_code == 204
    assert response.data == b""
    assert count(DeviceGroup) == 0
    assert count(Device) == 2
    assert all(fresh(Device, d.id).group_id is None for d in devices)
    body = client.get(f"/api/v1/controller/device/{devices[0].id}/", headers=tenants.headers_a).get_json()
    assert body["group"] is None
    assert client.get(detail_url(group.id), headers=tenants.headers_a).status_code == 404


def test_groups_of_other_orgs_are_404(client, tenants):
    group = make_group(tenants.b, "theirs")
    headers = tenants.headers_a
    for response in (
        client.get(detail_url(group.id), headers=headers),
        client.put(detail_url(group.id), headers=headers, json={"organization": str(tenants.a.id), "name": "x"}),
        client.patch(detail_url(group.id), headers=headers, json={"name": "x"}),
        client.delete(detail_url(group.id), headers=headers),
    ):
        assert response.status_code == 404
        assert response.get_json() == NOT_FOUND
    assert fresh(DeviceGroup, group.id).name == "theirs"
    body = client.get(URL, headers=headers).get_json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    body = client.get(URL, headers=headers, query_string={"organization": str(tenants.b.id)}).get_json()
    assert body["count"] == 0
    assert client.get(URL, headers=tenants.headers_super).get_json()["count"] == 1


def test_unknown_group_is_404(client, tenants):
    response = client.get(detail_url(uuid.uuid4()), headers=tenants.headers_super)
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_needs_a_manager(client, tenants, make):
    assert client.get(URL).get_json() == {"detail": NOT_AUTHENTICATED}
    member = make.user(member_of=[tenants.a])
    response = client.post(URL, headers=make.headers(member), json={"organization": str(tenants.a.id), "name": "g"})
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}
    assert count(DeviceGroup) == 0
