"""GET /api/v1/monitoring/device/{pk}/nearby-devices/ (docs/api.md §5, docs/api.md §15.1 and §15.7)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, text

from monitoring.extensions import db
from tests.geo.support import (
    INVALID_CHOICE,
    NOT_AUTHENTICATED,
    NOT_MANAGER,
    access_point,
    place,
    send_sample,
    set_status,
    wifi_client,
)

# The reference distances of docs/geo.md: Dehradun, Brussels and Sunnyvale as (longitude, latitude).
DEHRADUN = (79.0676, 30.7333)
BRUSSELS = (4.406264339, 50.89806471)
SUNNYVALE = (-122.03749, 37.37187)


def nearby_url(device, **params) -> str:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"/api/v1/monitoring/device/{device.id}/nearby-devices/" + (f"?{query}" if query else "")


def located(make, org, where, **device_fields):
    device = make.device(org, **device_fields)
    place(device, make.location(org, longitude=where[0], latitude=where[1]))
    return device


@pytest.fixture
def world(make):
    """Organization A: the reference device in Dehradun, one in Brussels, one in Sunnyvale.
    Organization B: one device in Brussels too."""
    org_a, org_b = make.org("A"), make.org("B")

    class World:
        a, b = org_a, org_b
        reference = located(make, org_a, DEHRADUN, model="TP-Link Archer C50")
        brussels = located(make, org_a, BRUSSELS, model="TP-Link Archer C60")
        sunnyvale = located(make, org_a, SUNNYVALE, model="Ubiquiti")
        other_brussels = located(make, org_b, BRUSSELS, model="TP-Link Archer C60")
        headers_a = make.headers(make.user(manages=[org_a]))
        headers_b = make.headers(make.user(manages=[org_b]))
        headers_super = make.headers(make.user(superuser=True))

    return World


def by_id(*devices) -> list[str]:
    """Names of devices at the same distance, in the listing's tie order."""
    return [device.name for device in sorted(devices, key=lambda device: device.id)]


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["results"]]


# --- distance --------------------------------------------------------------------------

def test_distance_is_the_specs_great_circle_rounded_to_metres(client, world):
    response = client.get(nearby_url(world.reference), headers=world.headers_a)
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == 2
    assert [(item["id"], item["distance"]) for item in body["results"]] == [
        (str(world.brussels.id), 6373400.0), (str(world.sunnyvale.id), 12130472.0)]
    # A JSON number with a decimal point, as the reference writes it.
    assert b'"distance":6373400.0' in response.data.replace(b" ", b"")


def test_item_fields(client, world, make):
    world.brussels.management_ip = "10.0.0.1"
    world.brussels.notes = "roof"
    db.session.commit()
    set_status(world.brussels, "ok")
    item = client.get(nearby_url(world.reference), headers=world.headers_a).get_json()["results"][0]
    assert item == {
        "id": str(world.brussels.id), "name": world.brussels.name, "organization": str(world.a.id),
        "group": None, "mac_address": world.brussels.mac_address, "management_ip": "10.0.0.1",
        "model": "TP-Link Archer C60", "os": "", "system": "", "notes": "roof", "distance": 6373400.0,
        "monitoring_status": "ok", "monitoring_data": None,
    }


def test_monitoring_data_is_the_latest_snapshot(client, world):
    send_sample(client, world.brussels, access_point("wlan0", [wifi_client("00:ee:ad:34:f5:3b")]))
    item = client.get(nearby_url(world.reference), headers=world.headers_a).get_json()["results"][0]
    assert item["monitoring_data"]["type"] == "DeviceMonitoring"
    assert item["monitoring_data"]["interfaces"][0]["wireless"]["clients"][0]["mac"] == "00:ee:ad:34:f5:3b"


def test_nearest_first_then_devices_without_coordinates(client, world, make):
    same_place = make.device(world.a)
    place(same_place, make.location(world.a, longitude=DEHRADUN[0], latitude=DEHRADUN[1]))
    nowhere = make.device(world.a)
    place(nowhere, make.location(world.a, longitude=None, latitude=None))
    results = client.get(nearby_url(world.reference), headers=world.headers_a).get_json()["results"]
    assert [(item["id"], item["distance"]) for item in results] == [
        (str(same_place.id), 0.0), (str(world.brussels.id), 6373400.0), (str(world.sunnyvale.id), 12130472.0),
        (str(nowhere.id), None)]


def test_devices_sharing_a_location_are_listed_once_each(client, world, make):
    shared = make.location(world.a, longitude=BRUSSELS[0], latitude=BRUSSELS[1])
    first, second = make.device(world.a, name="x-1"), make.device(world.a, name="x-2")
    place(first, shared)
    place(second, shared)
    response = client.get(nearby_url(world.reference, distance__lte=6373400), headers=world.headers_a)
    assert sorted(names(response)) == sorted([world.brussels.name, "x-1", "x-2"])


def test_reference_without_coordinates_gives_null_distances(client, world, make):
    device = make.device(world.a)
    place(device, make.location(world.a, longitude=None, latitude=None))
    response = client.get(nearby_url(device), headers=world.headers_a)
    assert [item["distance"] for item in response.get_json()["results"]] == [None, None, None]
    assert client.get(nearby_url(device, distance__lte=10**9), headers=world.headers_a).get_json()["count"] == 0


def test_the_index_serves_the_distance_filter_and_the_order(app, client, world):
    """The statements the endpoint runs can use the GiST index for the radius and the order
    (the planner would scan a table this small; with sequential scans off it shows it can)."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "geo_unit_point" in statement:
            statements.append(cursor.mogrify(statement, parameters).decode())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = client.get(nearby_url(world.reference, distance__lte=7000000), headers=world.headers_super)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert names(response) == by_id(world.brussels, world.other_brussels)
    assert len(statements) == 1  # within a radius, one query returns the page and its count
    with db.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        for statement in statements:
            plan = connection.execute(text("EXPLAIN " + statement.replace("%", "%%"))).scalars().all()
            index_at = next(i for i, line in enumerate(plan) if "ix_locations_geo_point" in line)
            assert "Index Cond" in plan[index_at + 1] and " <@ " in plan[index_at + 1], "\n".join(plan)


# --- filters -----------------------------------------------------------------------------

def test_distance_lte(client, world):
    """The bound applies to the distance as listed: rounded to whole metres."""
    for limit, expected in [
        ("6373400", ["brussels"]), ("6373399", []), ("6373400.4", ["brussels"]), ("6373399.9", []),
        ("12130472", ["brussels", "sunnyvale"]), ("1e12", ["brussels", "sunnyvale"]), ("-5", []), ("0", []),
    ]:
        response = client.get(nearby_url(world.reference, distance__lte=limit), headers=world.headers_a)
        assert names(response) == [getattr(world, name).name for name in expected], limit


def test_distance_lte_must_be_a_number(client, world):
    for value in ("abc", "nan", "inf", "1e999", "5km"):
        response = client.get(nearby_url(world.reference, distance__lte=value), headers=world.headers_a)
        assert response.status_code == 400, value
        assert response.get_json() == {"distance__lte": ["Enter a number."]}


def test_empty_filter_values_are_ignored(client, world):
    response = client.get(
        nearby_url(world.reference, distance__lte="", monitoring__status="", organization="", model=""),
        headers=world.headers_a,
    )
    assert names(response) == [world.brussels.name, world.sunnyvale.name]


def test_model_is_a_pipe_separated_list(client, world):
    response = client.get(nearby_url(world.reference, model="TP-Link Archer C60|Ubiquiti"), headers=world.headers_a)
    assert names(response) == [world.brussels.name, world.sunnyvale.name]
    response = client.get(nearby_url(world.reference, model="Ubiquiti"), headers=world.headers_a)
    assert names(response) == [world.sunnyvale.name]
    response = client.get(nearby_url(world.reference, model="TP-Link Archer C50"), headers=world.headers_a)
    assert names(response) == []  # the reference device itself is never listed


def test_monitoring_status(client, world):
    set_status(world.sunnyvale, "critical")
    response = client.get(nearby_url(world.reference, monitoring__status="critical"), headers=world.headers_a)
    assert names(response) == [world.sunnyvale.name]
    response = client.get(nearby_url(world.reference, monitoring__status="foo"), headers=world.headers_a)
    assert response.status_code == 400
    assert response.get_json() == {
        "monitoring__status": ["Select a valid choice. foo is not one of the available choices."]}


def test_organization_filters(client, world):
    url = nearby_url(world.reference, organization=world.b.id)
    assert names(client.get(url, headers=world.headers_super)) == [world.other_brussels.name]
    for param in ("organization_slug", "organization__slug"):
        url = nearby_url(world.reference, **{param: world.b.slug})
        assert names(client.get(url, headers=world.headers_super)) == [world.other_brussels.name]
        url = nearby_url(world.reference, **{param: "no-such-slug"})
        assert names(client.get(url, headers=world.headers_super)) == []


def test_organization_must_be_one_the_caller_may_choose(client, world):
    for value in ("not-a-uuid", uuid.uuid4(), world.b.id):
        response = client.get(nearby_url(world.reference, organization=value), headers=world.headers_a)
        assert response.status_code == 400, value
        assert response.get_json() == {"organization": [INVALID_CHOICE]}


def test_superuser_may_choose_any_existing_organization_only(client, world):
    response = client.get(nearby_url(world.reference, organization=uuid.uuid4()), headers=world.headers_super)
    assert response.status_code == 400
    assert response.get_json() == {"organization": [INVALID_CHOICE]}


# --- pagination ----------------------------------------------------------------------------

def test_pagination_links_keep_the_filters(client, world):
    response = client.get(nearby_url(world.reference, page_size=1, model="TP-Link Archer C60|Ubiquiti"),
                          headers=world.headers_a)
    body = response.get_json()
    assert body["count"] == 2 and names(response) == [world.brussels.name]
    assert body["previous"] is None
    assert body["next"] == (f"http://localhost/api/v1/monitoring/device/{world.reference.id}/nearby-devices/"
                            "?page_size=1&model=TP-Link+Archer+C60%7CUbiquiti&page=2")
    second = client.get(body["next"], headers=world.headers_a)
    assert names(second) == [world.sunnyvale.name]
    assert second.get_json()["next"] is None
    assert second.get_json()["previous"] == (
        f"http://localhost/api/v1/monitoring/device/{world.reference.id}/nearby-devices/"
        "?page_size=1&model=TP-Link+Archer+C60%7CUbiquiti")
    beyond = client.get(nearby_url(world.reference, page_size=1, page=3), headers=world.headers_a)
    assert beyond.status_code == 404 and beyond.get_json() == {"detail": "Invalid page."}


def test_pagination_within_a_radius(client, world):
    """Within a radius the page query counts too; the envelope is the same."""
    url = nearby_url(world.reference, distance__lte=13000000, page_size=1)
    first = client.get(url, headers=world.headers_a).get_json()
    assert (first["count"], first["previous"]) == (2, None) and first["next"].endswith("&page=2")
    second = client.get(first["next"], headers=world.headers_a).get_json()
    assert (second["count"], second["next"]) == (2, None) and second["previous"] is not None
    assert [item["name"] for item in second["results"]] == [world.sunnyvale.name]
    beyond = client.get(url + "&page=3", headers=world.headers_a)
    assert beyond.status_code == 404 and beyond.get_json() == {"detail": "Invalid page."}
    empty = client.get(nearby_url(world.reference, distance__lte=10), headers=world.headers_a).get_json()
    assert (empty["count"], empty["results"], empty["next"]) == (0, [], None)
    assert client.get(nearby_url(world.reference, distance__lte=10, page=2), headers=world.headers_a).status_code == 404


# --- who sees what -------------------------------------------------------------------------

def test_key_mode_lists_the_devices_of_the_devices_organization_only(client, world):
    response = client.get(nearby_url(world.reference, key=world.reference.key))
    assert names(response) == [world.brussels.name, world.sunnyvale.name]


def test_key_mode_ignores_user_credentials(client, world):
    response = client.get(nearby_url(world.reference, key=world.reference.key), headers=world.headers_b)
    assert names(response) == [world.brussels.name, world.sunnyvale.name]


def test_key_mode_organization_filter_is_the_devices_own_only(client, world):
    ok = client.get(nearby_url(world.reference, key=world.reference.key, organization=world.a.id))
    assert names(ok) == [world.brussels.name, world.sunnyvale.name]
    other = client.get(nearby_url(world.reference, key=world.reference.key, organization=world.b.id))
    assert other.status_code == 400 and other.get_json() == {"organization": [INVALID_CHOICE]}


@pytest.mark.parametrize("key", ["WRONG", "another-device"])
def test_wrong_key_is_404(client, world, key):
    key = world.brussels.key if key == "another-device" else key
    response = client.get(nearby_url(world.reference, key=key))
    assert response.status_code == 404
    assert response.get_json() == {"detail": "No Location matches the given query."}


def test_key_check_comes_before_filter_validation(client, world):
    response = client.get(nearby_url(world.reference, key="WRONG", distance__lte="abc"))
    assert response.status_code == 404


def test_key_of_a_deactivated_device_or_a_disabled_organization_is_404(client, world):
    world.reference.is_deactivated = True
    db.session.commit()
    assert client.get(nearby_url(world.reference, key=world.reference.key)).status_code == 404
    world.reference.is_deactivated = False
    world.a.is_active = False
    db.session.commit()
    assert client.get(nearby_url(world.reference, key=world.reference.key)).status_code == 404


def test_device_without_location_is_404(client, world, make):
    device = make.device(world.a)
    for kwargs in ({"headers": world.headers_a}, {}):
        url = nearby_url(device) if kwargs else nearby_url(device, key=device.key)
        response = client.get(url, **kwargs)
        assert response.status_code == 404
        assert response.get_json() == {"detail": "No Location matches the given query."}
    missing = client.get(f"/api/v1/monitoring/device/{uuid.uuid4()}/nearby-devices/", headers=world.headers_super)
    assert missing.status_code == 404


def test_empty_key_means_user_mode(client, world):
    response = client.get(nearby_url(world.reference, key=""))
    assert response.status_code == 401
    assert response.get_json() == {"detail": NOT_AUTHENTICATED}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_plain_member_and_manager_of_a_disabled_organization_are_403(client, world, make):
    member = make.headers(make.user(member_of=[world.a]))
    disabled = make.org(is_active=False)
    manager_of_disabled = make.headers(make.user(manages=[disabled]))
    for headers in (member, manager_of_disabled):
        response = client.get(nearby_url(world.reference), headers=headers)
        assert response.status_code == 403
        assert response.get_json() == {"detail": NOT_MANAGER}


def test_manager_of_another_organization_gets_404_for_the_reference_device(client, world):
    response = client.get(nearby_url(world.reference), headers=world.headers_b)
    assert response.status_code == 404
    assert response.get_json() == {"detail": "No Location matches the given query."}


def test_manager_sees_devices_of_the_organizations_they_manage(client, world, make):
    assert names(client.get(nearby_url(world.reference), headers=world.headers_a)) == [
        world.brussels.name, world.sunnyvale.name]
    both = make.headers(make.user(manages=[world.a, world.b]))
    listed = names(client.get(nearby_url(world.reference), headers=both))
    # Both Brussels devices are at the same distance: their order is by id.
    assert listed == by_id(world.brussels, world.other_brussels) + [
        world.sunnyvale.name]


def test_superuser_sees_every_organization(client, world):
    listed = names(client.get(nearby_url(world.reference), headers=world.headers_super))
    assert listed == by_id(world.brussels, world.other_brussels) + [
        world.sunnyvale.name]


def test_disabled_organization_devices_are_hidden_from_its_managers(client, world, make):
    world.b.is_active = False
    db.session.commit()
    response = client.get(nearby_url(world.other_brussels), headers=world.headers_b)
    assert response.status_code == 403


def test_path_must_be_a_dashed_uuid(client, world):
    response = client.get(f"/api/v1/monitoring/device/{world.reference.id.hex}/nearby-devices/",
                          headers=world.headers_a)
    assert response.status_code == 404
