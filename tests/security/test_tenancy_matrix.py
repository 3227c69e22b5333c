"""Every management object endpoint against every role, for an object of organization A.

Superuser sees everything; the manager of A sees A's objects; the manager of B gets 404
(another tenant's objects are indistinguishable from missing ones); a plain member and the
manager of a disabled organization manage nothing (403); no or bad credentials are 401.
"""
import pytest

from monitoring.extensions import db
from monitoring.models import DeviceLocation, FloorPlan

ROLES = ["superuser", "manager_a", "manager_b", "member_a", "manager_inactive", "anonymous", "bad_token"]
EXPECTED_DETAIL = {
    "superuser": 200, "manager_a": 200, "manager_b": 404, "member_a": 403,
    "manager_inactive": 403, "anonymous": 401, "bad_token": 401,
}
NOT_MANAGER = "User is not a manager of the organization to which the requested resource belongs."


@pytest.fixture
def world(make):
    org_a, org_b = make.org("A"), make.org("B")
    org_off = make.org("Off", is_active=False)
    device_a = make.device(org_a)
    make.device(org_b)
    location_a = make.location(org_a, type="indoor")
    make.location(org_b)
    floorplan_a = FloorPlan(organization_id=org_a.id, location_id=location_a.id, floor=1)
    db.session.add(floorplan_a)
    db.session.add(DeviceLocation(device_id=device_a.id, location_id=location_a.id))
    db.session.commit()
    from monitoring.models import DeviceGroup

    group_a = DeviceGroup(organization_id=org_a.id, name="g")
    db.session.add(group_a)
    db.session.commit()
    member_a = make.user(member_of=[org_a])
    users = {
        "superuser": make.user(superuser=True),
        "manager_a": make.user(manages=[org_a]),
        "manager_b": make.user(manages=[org_b]),
        "member_a": member_a,
        "manager_inactive": make.user(manages=[org_off]),
    }
    headers = {role: make.headers(user) for role, user in users.items()}
    headers["anonymous"] = {}
    headers["bad_token"] = {"Authorization": "Bearer not-a-token"}
    detail_urls = {
        "organization": f"/api/v1/users/organization/{org_a.id}/",
        "device": f"/api/v1/controller/device/{device_a.id}/",
        "device location": f"/api/v1/controller/device/{device_a.id}/location/",
        "group": f"/api/v1/controller/group/{group_a.id}/",
        "location": f"/api/v1/controller/location/{location_a.id}/",
        "floorplan": f"/api/v1/controller/floorplan/{floorplan_a.id}/",
        "user": f"/api/v1/users/user/{member_a.id}/",
    }
    return {"headers": headers, "detail_urls": detail_urls, "org_a": org_a, "org_b": org_b}


@pytest.mark.parametrize("role", ROLES)
def test_detail_endpoints_by_role(client, world, role):
    for name, url in world["detail_urls"].items():
        response = client.get(url, headers=world["headers"][role])
        expected = EXPECTED_DETAIL[role]
        if role == "member_a" and name == "user":
            expected = 403  # a plain member is not a manager even of their own record
        assert response.status_code == expected, (name, role, response.get_json())
        body = response.get_json()
        if expected == 401:
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert body["detail"] in ("Authentication credentials were not provided.", "Invalid token.")
        if expected == 403:
            assert body == {"detail": NOT_MANAGER}
        if expected == 404:
            assert "detail" in body


@pytest.mark.parametrize("role", [r for r in ROLES if EXPECTED_DETAIL[r] != 200])
def test_writes_by_other_roles_change_nothing(client, world, role):
    for name, url in world["detail_urls"].items():
        before = client.get(url, headers=world["headers"]["superuser"]).get_json()
        response = client.patch(url, json={"name": "taken over"}, headers=world["headers"][role])
        expected = 405 if name == "device location" and EXPECTED_DETAIL[role] == 404 else EXPECTED_DETAIL[role]
        assert response.status_code in (expected, 405), (name, role)
        expected_delete = EXPECTED_DETAIL[role]
        if name == "organization" and role == "manager_b":
            expected_delete = 403  # deleting organizations is for superusers: refused before lookup
        assert client.delete(url, headers=world["headers"][role]).status_code == expected_delete, name
        after = client.get(url, headers=world["headers"]["superuser"]).get_json()
        assert after == before, name


LISTS = {
    "/api/v1/users/organization/": {"superuser": 3, "manager_a": 1, "manager_b": 1},
    "/api/v1/controller/device/": {"superuser": 2, "manager_a": 1, "manager_b": 1},
    "/api/v1/controller/location/": {"superuser": 2, "manager_a": 1, "manager_b": 1},
    "/api/v1/controller/floorplan/": {"superuser": 1, "manager_a": 1, "manager_b": 0},
    "/api/v1/controller/group/": {"superuser": 1, "manager_a": 1, "manager_b": 0},
}


@pytest.mark.parametrize("url", list(LISTS))
@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_managed_organizations(client, world, url, role):
    response = client.get(url, headers=world["headers"][role])
    if role in LISTS[url]:
        assert response.status_code == 200
        body = response.get_json()
        assert body["count"] == LISTS[url][role] == len(body["results"])
        if role != "superuser":
            own = str(world["org_a"].id if role == "manager_a" else world["org_b"].id)
            for item in body["results"]:
                assert item.get("organization", item.get("id")) == own
    else:
        assert response.status_code == {"member_a": 403, "manager_inactive": 403}.get(role, 401)
