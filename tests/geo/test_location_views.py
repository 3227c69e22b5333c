"""GET /api/v1/monitoring/location/{pk}/device/ and …/indoor-coordinates/ (docs/api.md §13, §14)."""
from __future__ import annotations

import uuid
from datetime import UTC

import pytest

from monitoring.extensions import db
from monitoring.services.geo.map_data import default_floor, floor_name
from tests.geo.support import NOT_AUTHENTICATED, NOT_MANAGER, floorplan, place, set_status


def devices_url(location) -> str:
    return f"/api/v1/monitoring/location/{location.id}/device/"


def indoor_url(location) -> str:
    return f"/api/v1/monitoring/location/{location.id}/indoor-coordinates/"


def get_ok(client, url, headers, **params):
    response = client.get(url, query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def stamp(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- devices of a location -------------------------------------------------------------------

@pytest.fixture
def site(tenants, make):
    """An outdoor location of A with three devices (and one device elsewhere)."""
    location = make.location(tenants.a, name="HQ")
    devices = {}
    for name, mac, status in (("core-sw", "00:00:00:00:00:03", "ok"), ("ap-lobby", "00:00:00:00:00:01", "problem"),
                              ("AP_roof", "00:00:00:00:00:02", "critical")):
        device = make.device(tenants.a, name=name, mac_address=mac)
        set_status(device, status)
        place(device, location)
        devices[name] = device
    place(make.device(tenants.a, name="ap-elsewhere"), make.location(tenants.a))

    class Site:
        pass

    Site.location, Site.devices = location, devices
    return Site


def names(body) -> list[str]:
    return [item["name"] for item in body["results"]]


def test_devices_by_name_with_status(client, tenants, site):
    body = get_ok(client, devices_url(site.location), tenants.headers_a)
    assert (body["count"], body["next"], body["previous"], body["has_floorplan"]) == (3, None, None, False)
    assert names(body) == ["AP_roof", "ap-lobby", "core-sw"]
    device = site.devices["ap-lobby"]
    assert body["results"][1] == {
        "id": str(device.id),
        "admin_edit_url": f"http://localhost/api/v1/controller/device/{device.id}/",
        "monitoring": {"status": "problem", "status_label": "problem"},
        "created": stamp(device.created), "modified": stamp(device.modified),
        "name": "ap-lobby", "mac_address": "00:00:00:00:00:01", "model": "", "os": "", "system": "",
        "notes": "", "last_ip": None, "management_ip": None, "hardware_id": "", "_is_deactivated": False,
        "organization": str(tenants.a.id), "group": None,
    }
    assert all("key" not in item for item in body["results"])  # docs/api.md §15.1: no keys in lists


def test_status_labels_and_admin_url_are_configurable(app, client, tenants, site, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTH_STATUS_LABELS", {"critical": "Offline"})
    monkeypatch.setitem(app.config, "DEVICE_ADMIN_URL", "https://admin.example.com/device/{id}/")
    item = get_ok(client, devices_url(site.location), tenants.headers_a)["results"][0]
    assert item["monitoring"] == {"status": "critical", "status_label": "Offline"}
    assert item["admin_edit_url"] == f"https://admin.example.com/device/{site.devices['AP_roof'].id}/"


def test_search_by_name_or_mac(client, tenants, site):
    """Trimmed, case-insensitive, anywhere in the name or MAC; wildcards are literal."""
    for search, expected in [
        ("ap", ["AP_roof", "ap-lobby"]), ("  LOBBY ", ["ap-lobby"]),
        ("00:00:00:00:00:0", ["AP_roof", "ap-lobby", "core-sw"]), (":03", ["core-sw"]),
        ("_", ["AP_roof"]), ("%", []), ("", ["AP_roof", "ap-lobby", "core-sw"]),
    ]:
        body = get_ok(client, devices_url(site.location), tenants.headers_a, search=search)
        assert names(body) == expected, search


def test_status_is_repeatable(client, tenants, site):
    url = devices_url(site.location)
    assert names(get_ok(client, url, tenants.headers_a, status="ok")) == ["core-sw"]
    response = client.get(url + "?status=ok&status=critical", headers=tenants.headers_a)
    assert names(response.get_json()) == ["AP_roof", "core-sw"]
    response = client.get(url + "?status=ok&status=bogus", headers=tenants.headers_a)
    assert response.status_code == 400
    assert response.get_json() == {"status": ["Select a valid choice. bogus is not one of the available choices."]}


def test_has_floorplan_ignores_the_filters(client, tenants, make):
    location = make.location(tenants.a, type="indoor")
    plan = floorplan(location, 1)
    place(make.device(tenants.a, name="on-plan"), location, floorplan=plan)
    place(make.device(tenants.a, name="off-plan"), location)
    body = get_ok(client, devices_url(location), tenants.headers_a, search="off-plan")
    assert names(body) == ["off-plan"] and body["has_floorplan"] is True


def test_location_devices_pagination(client, tenants, site):
    body = get_ok(client, devices_url(site.location), tenants.headers_a, page_size=2)
    assert names(body) == ["AP_roof", "ap-lobby"]
    assert body["next"] == f"http://localhost{devices_url(site.location)}?page_size=2&page=2"
    second = client.get(body["next"], headers=tenants.headers_a).get_json()
    assert names(second) == ["core-sw"] and second["has_floorplan"] is False
    assert second["previous"] == f"http://localhost{devices_url(site.location)}?page_size=2"
    assert client.get(devices_url(site.location) + "?page=9", headers=tenants.headers_a).status_code == 404


def test_location_devices_access(client, tenants, site, make):
    url = devices_url(site.location)
    assert get_ok(client, url, tenants.headers_super)["count"] == 3
    for headers in (tenants.headers_b, ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.get_json() == {"detail": "Not found."}
    missing = client.get(f"/api/v1/monitoring/location/{uuid.uuid4()}/device/", headers=tenants.headers_super)
    assert missing.status_code == 404 and missing.get_json() == {"detail": "Not found."}
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and anonymous.get_json() == {"detail": NOT_AUTHENTICATED}
    member = make.headers(make.user(member_of=[tenants.a]))
    response = client.get(url, headers=member)
    assert response.status_code == 403 and response.get_json() == {"detail": NOT_MANAGER}
    # Access before validation: an outsider learns nothing from a bad filter value.
    assert client.get(url + "?status=bogus", headers=tenants.headers_b).status_code == 404
    tenants.a.is_active = False
    db.session.commit()
    assert client.get(url, headers=tenants.headers_a).status_code == 403


# --- indoor coordinates ------------------------------------------------------------------------

@pytest.fixture
def building(tenants, make):
    """An indoor location with devices on floors -1, 1 and 2 (none on the ground floor plan)."""
    location = make.location(tenants.a, name="Tower", type="indoor")
    plans = {floor: floorplan(location, floor, image=f"floorplans/{floor}.png") for floor in (-1, 0, 1, 2)}
    placed = {}
    for name, floor, indoor in (("b-cellar", -1, "1,2"), ("a-first", 1, "-140.3862,40.369227"),
                                ("c-first", 1, None), ("d-second", 2, "bad"), ("e-first", 1, "12.5,x")):
        device = make.device(tenants.a, name=name)
        placed[name] = place(device, location, floorplan=plans[floor], indoor=indoor)
        placed[name + "-device"] = device
    set_status(placed["a-first-device"], "ok")

    class Building:
        pass

    Building.location, Building.plans, Building.placed = location, plans, placed
    return Building


def test_default_floor_is_the_lowest_non_negative_with_devices(client, tenants, building):
    body = get_ok(client, indoor_url(building.location), tenants.headers_a)
    assert body["floors"] == [-1, 1, 2]  # the ground floor plan has no devices
    assert [item["device_name"] for item in body["results"]] == ["a-first", "c-first", "e-first"]
    device = building.placed["a-first-device"]
    assert body["results"][0] == {
        "id": str(device.id),
        "admin_edit_url": f"http://localhost/api/v1/controller/device/{device.id}/",
        "device_id": str(device.id),
        "floorplan_id": str(building.plans[1].id),
        "device_name": "a-first",
        "mac_address": device.mac_address,
        "floor_name": "Tower 1st floor",
        "floor": 1,
        "image": "http://localhost/media/floorplans/1.png",
        "coordinates": {"lat": -140.3862, "lng": 40.369227},
        "monitoring": {"status": "ok", "status_label": "ok"},
    }
    assert [item["coordinates"] for item in body["results"][1:]] == [None, None]  # absent, "12.5,x"


def test_floor_filter(client, tenants, building):
    body = get_ok(client, indoor_url(building.location), tenants.headers_a, floor=-1)
    assert [(i["device_name"], i["floor_name"], i["coordinates"]) for i in body["results"]] == [
        ("b-cellar", "Tower -1 floor", {"lat": 1.0, "lng": 2.0})]
    assert body["floors"] == [-1, 1, 2]
    second = get_ok(client, indoor_url(building.location), tenants.headers_a, floor="2")
    assert [(i["device_name"], i["coordinates"]) for i in second["results"]] == [("d-second", None)]
    assert get_ok(client, indoor_url(building.location), tenants.headers_a, floor=0)["results"] == []
    assert get_ok(client, indoor_url(building.location), tenants.headers_a, floor=1.5)["results"] == []
    for bad in ("first", "nan", "1e999"):
        response = client.get(indoor_url(building.location), query_string={"floor": bad}, headers=tenants.headers_a)
        assert response.status_code == 400 and response.get_json() == {"floor": ["Enter a number."]}


def test_only_underground_floors_default_to_the_one_nearest_the_surface(client, tenants, make):
    location = make.location(tenants.a, name="Bunker", type="indoor")
    for floor in (-3, -2):
        place(make.device(tenants.a, name=f"dev{floor}"), location, floorplan=floorplan(location, floor))
    body = get_ok(client, indoor_url(location), tenants.headers_a)
    assert [i["device_name"] for i in body["results"]] == ["dev-2"] and body["floors"] == [-3, -2]


def test_no_floorplans_and_outdoor_locations_are_empty(client, tenants, make, site):
    empty = make.location(tenants.a, type="indoor")
    place(make.device(tenants.a), empty)
    for location in (empty, site.location):
        body = get_ok(client, indoor_url(location), tenants.headers_a)
        assert (body["count"], body["results"], body["floors"]) == (0, [], [])


def test_indoor_pagination_defaults_to_50(client, tenants, make):
    location = make.location(tenants.a, type="indoor")
    plan = floorplan(location, 0)
    for n in range(51):
        place(make.device(tenants.a, name=f"dev-{n:02d}"), location, floorplan=plan)
    body = get_ok(client, indoor_url(location), tenants.headers_a)
    assert body["count"] == 51 and len(body["results"]) == 50
    assert body["results"][0]["floor_name"] == f"{location.name} ground floor"
    assert body["next"] == f"http://localhost{indoor_url(location)}?page=2"
    assert len(get_ok(client, indoor_url(location), tenants.headers_a, page_size=500)["results"]) == 51


def test_indoor_access(client, tenants, building, make):
    url = indoor_url(building.location)
    assert get_ok(client, url, tenants.headers_super)["count"] == 3
    response = client.get(url, headers=tenants.headers_b)
    assert response.status_code == 404 and response.get_json() == {"detail": "Not found."}
    assert client.get(url + "?floor=x", headers=tenants.headers_b).status_code == 404
    assert client.get(f"/api/v1/monitoring/location/{uuid.uuid4()}/indoor-coordinates/",
                      headers=tenants.headers_a).status_code == 404
    assert client.get(url).status_code == 401
    member = make.headers(make.user(member_of=[tenants.a]))
    assert client.get(url, headers=member).status_code == 403


@pytest.mark.parametrize("floor, name", [
    (0, "HQ ground floor"), (1, "HQ 1st floor"), (2, "HQ 2nd floor"), (3, "HQ 3rd floor"), (4, "HQ 4th floor"),
    (11, "HQ 11th floor"), (12, "HQ 12th floor"), (13, "HQ 13th floor"), (21, "HQ 21st floor"),
    (102, "HQ 102nd floor"), (111, "HQ 111th floor"), (-1, "HQ -1 floor"), (-12, "HQ -12 floor"),
])
def test_floor_names(floor, name):
    assert floor_name("HQ", floor) == name


@pytest.mark.parametrize("floors, expected", [
    ([], None), ([-2, -1], -1), ([-1, 0, 3], 0), ([-1, 2, 5], 2), ([4], 4),
])
def test_default_floor(floors, expected):
    assert default_floor(floors) == expected
