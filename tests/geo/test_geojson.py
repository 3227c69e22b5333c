"""GET /api/v1/monitoring/geojson/ (docs/api.md §12)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.extensions import db
from monitoring.models import Location
from tests.geo.support import INVALID_CHOICE, NOT_AUTHENTICATED, NOT_MANAGER, place, set_status

GEOJSON = "/api/v1/monitoring/geojson/"


def geojson(client, headers, **params):
    response = client.get(GEOJSON, query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def feature_names(body) -> list[str]:
    return [feature["properties"]["name"] for feature in body["features"]]


def aged(location: Location, minutes: int) -> Location:
    """Make ``location`` ``minutes`` old: the list is newest first."""
    location.created = datetime.now(UTC) - timedelta(minutes=minutes)
    db.session.commit()
    return location


def test_feature_collection_with_counts_per_status(client, tenants, make):
    location = make.location(tenants.a, name="HQ", address="Via del Corso, Roma", longitude=12.512124,
                             latitude=41.898903)
    for status in ("ok", "ok", "problem", "critical", "unknown", "deactivated"):
        device = make.device(tenants.a)
        set_status(device, status)
        place(device, location)
    body = geojson(client, tenants.headers_a)
    assert set(body) == {"type", "count", "next", "previous", "features"}
    assert (body["type"], body["count"], body["next"], body["previous"]) == ("FeatureCollection", 1, None, None)
    feature = body["features"][0]
    assert feature == {
        "id": str(location.id),
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [12.512124, 41.898903]},
        "properties": {
            "name": "HQ", "type": "outdoor", "is_mobile": False, "address": "Via del Corso, Roma",
            "created": location.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "modified": location.modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "organization": str(tenants.a.id),
            "device_count": 6, "ok_count": 2, "problem_count": 1, "critical_count": 1, "unknown_count": 1,
        },
    }


def test_only_locations_with_devices_newest_first(client, tenants, make):
    make.location(tenants.a, name="empty")
    old, new = aged(make.location(tenants.a, name="old"), 60), aged(make.location(tenants.a, name="new"), 1)
    for location in (old, new):
        place(make.device(tenants.a), location)
    assert feature_names(geojson(client, tenants.headers_a)) == ["new", "old"]


def test_location_without_coordinates_has_null_geometry(client, tenants, make):
    mobile = make.location(tenants.a, is_mobile=True, longitude=None, latitude=None)
    place(make.device(tenants.a), mobile)
    feature = geojson(client, tenants.headers_a)["features"][0]
    assert feature["geometry"] is None and feature["properties"]["is_mobile"] is True


# --- filters -------------------------------------------------------------------------------

@pytest.fixture
def mixed(tenants, make):
    """In organization A: an outdoor fixed location, an indoor one, a mobile one; one in B."""
    created = {}
    for minutes, (name, org, fields) in enumerate([
        ("fixed", tenants.a, {}), ("indoor", tenants.a, {"type": "indoor"}),
        ("mobile", tenants.a, {"is_mobile": True}), ("b-site", tenants.b, {}),
    ]):
        location = aged(make.location(org, name=name, **fields), minutes)
        place(make.device(org), location)
        created[name] = location
    return created


IS_MOBILE_CASES = [
    ("true", ["mobile"]), ("True", ["mobile"]), ("1", ["mobile"]), ("yes", ["mobile"]), ("on", ["mobile"]),
    ("anything", ["mobile"]), ("false", ["fixed", "indoor"]), ("0", ["fixed", "indoor"]),
    ("NO", ["fixed", "indoor"]), ("off", ["fixed", "indoor"]), ("", ["fixed", "indoor", "mobile"]),
]


def test_is_mobile(client, tenants, mixed):
    """docs/api.md §15.2: false/0/no/off in any case are false, any other value true, empty absent."""
    for value, expected in IS_MOBILE_CASES:
        assert feature_names(geojson(client, tenants.headers_a, is_mobile=value)) == expected, value


def test_type(client, tenants, mixed):
    assert feature_names(geojson(client, tenants.headers_a, type="indoor")) == ["indoor"]
    assert feature_names(geojson(client, tenants.headers_a, type="outdoor")) == ["fixed", "mobile"]
    response = client.get(GEOJSON, query_string={"type": "underground"}, headers=tenants.headers_a)
    assert response.status_code == 400
    assert response.get_json() == {"type": ["Select a valid choice. underground is not one of the available choices."]}


def test_organization_and_slug(client, tenants, mixed):
    assert feature_names(geojson(client, tenants.headers_super, organization=tenants.b.id)) == ["b-site"]
    assert feature_names(geojson(client, tenants.headers_super, organization_slug=tenants.b.slug)) == ["b-site"]
    assert feature_names(geojson(client, tenants.headers_a, organization_slug=tenants.b.slug)) == []
    assert feature_names(geojson(client, tenants.headers_a, organization=tenants.a.id, type="indoor")) == ["indoor"]


def test_organization_must_be_managed(client, tenants, mixed):
    for value in (tenants.b.id, uuid.uuid4(), "not-a-uuid"):
        response = client.get(GEOJSON, query_string={"organization": value}, headers=tenants.headers_a)
        assert response.status_code == 400, value
        assert response.get_json() == {"organization": [INVALID_CHOICE]}


# --- pagination ----------------------------------------------------------------------------

def test_pagination_defaults_to_1000_without_an_upper_limit(client, tenants, make):
    device_locations = []
    for n in range(105):
        location = Location(organization_id=tenants.a.id, name=f"site-{n:03d}", latitude=1.0, longitude=2.0,
                            created=datetime.now(UTC) - timedelta(minutes=n))
        db.session.add(location)
        device_locations.append(location)
    db.session.commit()
    for location in device_locations:
        place(make.device(tenants.a), location)
    body = geojson(client, tenants.headers_a)
    assert body["count"] == 105 and len(body["features"]) == 105 and body["next"] is None
    assert len(geojson(client, tenants.headers_a, page_size=150)["features"]) == 105  # not capped at 100

    first = geojson(client, tenants.headers_a, page_size=100)
    assert len(first["features"]) == 100
    assert first["next"] == "http://localhost/api/v1/monitoring/geojson/?page_size=100&page=2"
    second = client.get(first["next"], headers=tenants.headers_a).get_json()
    assert feature_names(second) == ["site-100", "site-101", "site-102", "site-103", "site-104"]
    assert second["previous"] == "http://localhost/api/v1/monitoring/geojson/?page_size=100"
    beyond = client.get(GEOJSON, query_string={"page": 3, "page_size": 100}, headers=tenants.headers_a)
    assert beyond.status_code == 404 and beyond.get_json() == {"detail": "Invalid page."}


# --- who sees what -------------------------------------------------------------------------

def test_tenancy(client, tenants, mixed, make):
    assert feature_names(geojson(client, tenants.headers_a)) == ["fixed", "indoor", "mobile"]
    assert feature_names(geojson(client, tenants.headers_super)) == ["fixed", "indoor", "mobile", "b-site"]
    anonymous = client.get(GEOJSON)
    assert anonymous.status_code == 401 and anonymous.get_json() == {"detail": NOT_AUTHENTICATED}
    member = make.headers(make.user(member_of=[tenants.a]))
    disabled_manager = make.headers(make.user(manages=[make.org(is_active=False)]))
    for headers in (member, disabled_manager):
        response = client.get(GEOJSON, headers=headers)
        assert response.status_code == 403 and response.get_json() == {"detail": NOT_MANAGER}


def test_manager_loses_a_disabled_organization(client, tenants, mixed, make):
    both = make.headers(make.user(manages=[tenants.a, tenants.b]))
    assert feature_names(geojson(client, both)) == ["fixed", "indoor", "mobile", "b-site"]
    tenants.b.is_active = False
    db.session.commit()
    assert feature_names(geojson(client, both)) == ["fixed", "indoor", "mobile"]
