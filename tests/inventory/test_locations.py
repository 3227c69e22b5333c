"""/api/v1/controller/location/ and /api/v1/controller/floorplan/."""
from __future__ import annotations

import io
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from monitoring.extensions import db
from monitoring.models import Device, DeviceLocation, FloorPlan, Location
from tests.accounts.test_auth import login
from tests.inventory.support import NOT_MANAGER, TIMESTAMP_RE, count, fresh, invalid_pk, make_floorplan

LOCATIONS = "/api/v1/controller/location/"
FLOORPLANS = "/api/v1/controller/floorplan/"
LOCATION_NOT_FOUND = {"detail": "No Location matches the given query."}
FLOORPLAN_NOT_FOUND = {"detail": "No FloorPlan matches the given query."}
FLOOR_TAKEN = {"floor": ["This location already has a floorplan for this floor."]}
ONLY_INDOOR = {"location": ["Floorplans can only be added to indoor locations."]}
BAD_IMAGE = {"image": ["Upload an image file (.gif, .jpeg, .jpg, .png, .webp)."]}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def location_url(location_id) -> str:
    return f"{LOCATIONS}{location_id}/"


def floorplan_url(floorplan_id) -> str:
    return f"{FLOORPLANS}{floorplan_id}/"


@pytest.fixture
def media_root(app, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    return root


def media_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def point(lng, lat) -> dict:
    return {"type": "Point", "coordinates": [lng, lat]}


# --- locations --------------------------------------------------------------------------

def test_create_location_with_geometry(client, tenants):
    data = {"organization": str(tenants.a.id), "name": "HQ", "type": "outdoor", "address": "Via Roma 1",
            "geometry": point(12.4964, 41.9028)}
    response = client.post(LOCATIONS, headers=tenants.headers_a, json=data)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "organization", "name", "type", "is_mobile", "address", "geometry", "created",
                         "modified"}
    assert uuid.UUID(body["id"])
    assert body["organization"] == str(tenants.a.id)
    assert body["name"] == "HQ"
    assert body["type"] == "outdoor"
    assert body["is_mobile"] is False
    assert body["address"] == "Via Roma 1"
    assert body["geometry"] == {"type": "Point", "coordinates": [12.4964, 41.9028]}
    assert TIMESTAMP_RE.match(body["created"])
    row = fresh(Location, body["id"])
    assert (row.longitude, row.latitude) == (12.4964, 41.9028)

    response = client.get(location_url(body["id"]), headers=tenants.headers_a)
    assert response.status_code == 200
    assert response.get_json()["geometry"] == {"type": "Point", "coordinates": [12.4964, 41.9028]}


def test_create_location_defaults(client, tenants):
    response = client.post(LOCATIONS, headers=tenants.headers_a, json={"organization": str(tenants.a.id), "name": "x"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["type"] == "outdoor"
    assert body["is_mobile"] is False
    assert body["address"] == ""
    assert body["geometry"] is None


@pytest.mark.parametrize("coordinates", [[0, 0], [-180, -90], [180, 90], [7, 45.5]])
def test_geometry_edges_round_trip(client, tenants, coordinates):
    data = {"organization": str(tenants.a.id), "name": "edge", "geometry": point(*coordinates)}
    response = client.post(LOCATIONS, headers=tenants.headers_a, json=data)
    assert response.status_code == 201
    assert response.get_json()["geometry"] == {"type": "Point", "coordinates": coordinates}


def test_null_geometry(client, tenants):
    data = {"organization": str(tenants.a.id), "name": "nowhere", "geometry": None}
    response = client.post(LOCATIONS, headers=tenants.headers_a, json=data)
    assert response.status_code == 201
    assert response.get_json()["geometry"] is None
    row = fresh(Location, response.get_json()["id"])
    assert (row.longitude, row.latitude) == (None, None)


NOT_A_POINT = 'Expected a GeoJSON Point: {"type": "Point", "coordinates": [lng, lat]}.'
TWO_NUMBERS = "Point coordinates must be two numbers: [longitude, latitude]."
OUT_OF_RANGE = "Coordinates out of range: longitude -180..180, latitude -90..90."


@pytest.mark.parametrize(("geometry", "message"), [
    ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, NOT_A_POINT),
    ({"type": "point", "coordinates": [1, 2]}, NOT_A_POINT),
    ({"coordinates": [1, 2]}, NOT_A_POINT),
    ([12.5, 41.9], NOT_A_POINT),
    ("POINT(12.5 41.9)", NOT_A_POINT),
    ({"type": "Point", "coordinates": [1, 2, 3]}, TWO_NUMBERS),
    ({"type": "Point", "coordinates": [1]}, TWO_NUMBERS),
    ({"type": "Point", "coordinates": ["12.5", "41.9"]}, TWO_NUMBERS),
    ({"type": "Point", "coordinates": [True, False]}, TWO_NUMBERS),
    ({"type": "Point", "coordinates": [None, 1]}, TWO_NUMBERS),
    ({"type": "Point"}, TWO_NUMBERS),
    ({"type": "Point", "coordinates": {"lng": 1, "lat": 2}}, TWO_NUMBERS),
    ({"type": "Point", "coordinates": [12.5, 91]}, OUT_OF_RANGE),
    ({"type": "Point", "coordinates": [12.5, -90.5]}, OUT_OF_RANGE),
    ({"type": "Point", "coordinates": [181, 41.9]}, OUT_OF_RANGE),
    ({"type": "Point", "coordinates": [-180.01, 0]}, OUT_OF_RANGE),
])
def test_invalid_geometry_is_400(client, tenants, geometry, message):
    data = {"organization": str(tenants.a.id), "name": "bad", "geometry": geometry}
    response = client.post(LOCATIONS, headers=tenants.headers_a, json=data)
    assert response.status_code == 400
    assert response.get_json() == {"geometry": [message]}
    assert count(Location) == 0


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_coordinates_are_400(client, tenants, number):
    # Python's JSON parser reads these non-standard literals as float('nan') / float('inf').
    geometry = '{"type": "Point", "coordinates": [' + number + ", 1]}"
    body = f'{{"organization": "{tenants.a.id}", "name": "bad", "geometry": {geometry}}}'
    response = client.post(LOCATIONS, headers=tenants.headers_a, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"geometry": [OUT_OF_RANGE]}
    assert count(Location) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("type", "basement", "Must be one of: outdoor, indoor."),
    ("type", "", "Must be one of: outdoor, indoor."),
    ("type", None, "This field may not be null."),
    ("name", "", "Length must be between 1 and 75."),
    ("name", "n" * 76, "Length must be between 1 and 75."),
    ("address", "a" * 257, "Longer than maximum length 256."),
    ("is_mobile", "perhaps", "Not a valid boolean."),
    ("organization", "nope", "Not a valid UUID."),
])
def test_invalid_location_field_is_400(client, tenants, field, value, message):
    data = {"organization": str(tenants.a.id), "name": "loc", field: value}
    response = client.post(LOCATIONS, headers=tenants.headers_a, json=data)
    assert response.status_code == 400
    assert response.get_json() == {field: [message]}
    assert count(Location) == 0


def test_location_required_fields(client, tenants):
    response = client.post(LOCATIONS, headers=tenants.headers_a, json={})
    assert response.status_code == 400
    assert response.get_json() == {"organization": ["This field is required."], "name": ["This field is required."]}


@pytest.mark.parametrize("which", ["other", "missing"])
def test_location_in_unmanaged_org_is_400(client, tenants, which):
    org_id = tenants.b.id if which == "other" else uuid.uuid4()
    response = client.post(LOCATIONS, headers=tenants.headers_a, json={"organization": str(org_id), "name": "x"})
    assert response.status_code == 400
    assert response.get_json() == {"organization": invalid_pk(org_id)}
    assert count(Location) == 0


def test_patch_and_put_location(client, tenants, make):
    location = make.location(tenants.a, name="old", address="somewhere")
    url = location_url(location.id)
    response = client.patch(url, headers=tenants.headers_a, json={"geometry": point(-0.1276, 51.5072)})
    assert response.status_code == 200
    body = response.get_json()
    assert body["geometry"] == {"type": "Point", "coordinates": [-0.1276, 51.5072]}
    assert body["name"] == "old" and body["address"] == "somewhere"

    response = client.patch(url, headers=tenants.headers_a, json={"name": "renamed", "is_mobile": True})
    assert response.status_code == 200
    assert response.get_json()["geometry"] == {"type": "Point", "coordinates": [-0.1276, 51.5072]}
    assert response.get_json()["is_mobile"] is True

    response = client.patch(url, headers=tenants.headers_a, json={"geometry": None})
    assert response.status_code == 200
    assert response.get_json()["geometry"] is None
    row = fresh(Location, location.id)
    assert (row.name, row.is_mobile, row.longitude, row.latitude) == ("renamed", True, None, None)

    response = client.put(url, headers=tenants.headers_a,
                          json={"organization": str(tenants.a.id), "name": "put", "type": "indoor",
                                "geometry": point(1, 2)})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["type"], body["geometry"]) == ("put", "indoor", point(1, 2))


def test_invalid_patch_changes_nothing(client, tenants, make):
    location = make.location(tenants.a, name="keep")
    response = client.patch(location_url(location.id), headers=tenants.headers_a,
                            json={"name": "changed", "geometry": point(200, 0)})
    assert response.status_code == 400
    assert response.get_json() == {"geometry": [OUT_OF_RANGE]}
    row = fresh(Location, location.id)
    assert (row.name, row.longitude, row.latitude) == ("keep", 12.5, 41.9)


def test_location_organization_cannot_change(client, tenants, make):
    location = make.location(tenants.a)
    response = client.patch(location_url(location.id), headers=tenants.headers_super,
                            json={"organization": str(tenants.b.id)})
    assert response.status_code == 400
    assert response.get_json() == {"organization": ["The organization of a location cannot be changed."]}
    assert fresh(Location, location.id).organization_id == tenants.a.id


def test_indoor_location_with_floorplans_stays_indoor(client, tenants, make):
    location = make.location(tenants.a, type="indoor")
    floorplan = make_floorplan(location)
    response = client.patch(location_url(location.id), headers=tenants.headers_a, json={"type": "outdoor"})
    assert response.status_code == 400
    assert response.get_json() == {
        "type": ["This location has floorplans: delete them before changing its type."],
    }
    assert fresh(Location, location.id).type == "indoor"
    # other changes are fine
    assert client.patch(location_url(location.id), headers=tenants.headers_a,
                        json={"type": "indoor", "name": "n"}).status_code == 200
    # without floorplans it may become outdoor
    assert client.delete(floorplan_url(floorplan.id), headers=tenants.headers_a).status_code == 204
    response = client.patch(location_url(location.id), headers=tenants.headers_a, json={"type": "outdoor"})
    assert response.status_code == 200
    assert response.get_json()["type"] == "outdoor"


def test_list_locations_ordering_and_filters(client, tenants, make):
    make.location(tenants.a, name="b-out")
    make.location(tenants.a, name="a-in", type="indoor")
    make.location(tenants.b, name="c-theirs")

    def names(headers, **params):
        response = client.get(LOCATIONS, headers=headers, query_string=params)
        assert response.status_code == 200
        body = response.get_json()
        assert body["count"] == len(body["results"])
        return [loc["name"] for loc in body["results"]]

    assert names(tenants.headers_super) == ["a-in", "b-out", "c-theirs"]
    listed = client.get(LOCATIONS, headers=tenants.headers_a).get_json()["results"]
    assert [loc["geometry"] for loc in listed] == [point(12.5, 41.9)] * 2
    assert [loc["type"] for loc in listed] == ["indoor", "outdoor"]
    assert names(tenants.headers_super, organization=str(tenants.b.id)) == ["c-theirs"]
    assert names(tenants.headers_super, type="indoor") == ["a-in"]
    assert names(tenants.headers_a) == ["a-in", "b-out"]
    assert names(tenants.headers_a, organization=str(tenants.b.id)) == []
    assert names(tenants.headers_b) == ["c-theirs"]
    response = client.get(LOCATIONS, headers=tenants.headers_a, query_string={"type": "cave"})
    assert response.status_code == 400
    assert response.get_json() == {"type": ["Must be one of: outdoor, indoor."]}


def test_locations_of_other_orgs_are_404(client, tenants, make):
    location = make.location(tenants.b, name="theirs")
    url = location_url(location.id)
    headers = tenants.headers_a
    for response in (
        client.get(url, headers=headers),
        client.put(url, headers=headers, json={"organization": str(tenants.a.id), "name": "x"}),
        client.patch(url, headers=headers, json={"name": "x"}),
        client.delete(url, headers=headers),
    ):
        assert response.status_code == 404
        assert response.get_json() == LOCATION_NOT_FOUND
    assert fresh(Location, location.id).name == "theirs"
    assert client.get(LOCATIONS, headers=headers).get_json()["count"] == 0
    assert client.get(url, headers=tenants.headers_super).status_code == 200


def test_unknown_location_is_404(client, tenants):
    response = client.delete(location_url(uuid.uuid4()), headers=tenants.headers_super)
    assert response.status_code == 404
    assert response.get_json() == LOCATION_NOT_FOUND


def test_delete_location_cascades(client, tenants, make, media_root):
    location = make.location(tenants.a, type="indoor")
    other = make.location(tenants.a, type="indoor")
    kept_floorplan = make_floorplan(other)
    device, elsewhere = make.device(tenants.a), make.device(tenants.a)
    upload = client.post(FLOORPLANS, headers=tenants.headers_a, content_type="multipart/form-data",
                         data={"location": str(location.id), "floor": "0", "image": (io.BytesIO(PNG), "plan.png")})
    assert upload.status_code == 201
    floorplan_id = upload.get_json()["id"]
    make_floorplan(location, floor=1)
    client.put(f"/api/v1/controller/device/{device.id}/location/", headers=tenants.headers_a,
               json={"location": str(location.id), "floorplan": floorplan_id, "indoor": "1,2"})
    client.put(f"/api/v1/controller/device/{elsewhere.id}/location/", headers=tenants.headers_a,
               json={"location": str(other.id), "floorplan": str(kept_floorplan.id)})
    assert count(FloorPlan) == 3 and count(DeviceLocation) == 2
    assert media_files(media_root) == [f"floorplans/{floorplan_id}.png"]

    response = client.delete(location_url(location.id), headers=tenants.headers_a)
    assert response.status_code == 204
    assert count(Location) == 1
    assert count(FloorPlan) == 1 and count(FloorPlan, FloorPlan.location_id == other.id) == 1
    assert count(DeviceLocation) == 1 and count(DeviceLocation, DeviceLocation.device_id == elsewhere.id) == 1
    assert count(Device) == 2
    assert media_files(media_root) == []
    assert client.get(floorplan_url(floorplan_id), headers=tenants.headers_a).status_code == 404
    assert client.get(f"/api/v1/controller/device/{device.id}/location/", headers=tenants.headers_a).status_code == 404


# --- floorplans -------------------------------------------------------------------------

def test_create_floorplan_json(client, tenants, make):
    location = make.location(tenants.a, type="indoor")
    response = client.post(FLOORPLANS, headers=tenants.headers_a, json={"location": str(location.id), "floor": 2})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "organization", "location", "floor", "image", "created", "modified"}
    assert body["organization"] == str(tenants.a.id)
    assert body["location"] == str(location.id)
    assert body["floor"] == 2
    assert body["image"] is None
    row = fresh(FloorPlan, body["id"])
    assert (row.organization_id, row.location_id, row.floor, row.image) == (tenants.a.id, location.id, 2, None)


def test_floorplan_organization_comes_from_its_location(client, tenants, make):
    location = make.location(tenants.b, type="indoor")
    response = client.post(FLOORPLANS, headers=tenants.headers_super,
                           json={"location": str(location.id), "floor": "-1", "organization": str(tenants.a.id)})
    assert response.status_code == 201
    assert response.get_json()["organization"] == str(tenants.b.id)
    assert response.get_json()["floor"] == -1
    assert fresh(FloorPlan, response.get_json()["id"]).organization_id == tenants.b.id


def test_floorplan_needs_an_indoor_location(client, tenants, make):
    outdoor = make.location(tenants.a, type="outdoor")
    response = client.post(FLOORPLANS, headers=tenants.headers_a, json={"location": str(outdoor.id), "floor": 1})
    assert response.status_code == 400
    assert response.get_json() == ONLY_INDOOR
    assert count(FloorPlan) == 0


@pytest.mark.parametrize("which", ["other", "missing"])
def test_floorplan_location_must_be_managed(client, tenants, make, which):
    location_id = make.location(tenants.b, type="indoor").id if which == "other" else uuid.uuid4()
    response = client.post(FLOORPLANS, headers=tenants.headers_a, json={"location": str(location_id), "floor": 1})
    assert response.status_code == 400
    assert response.get_json() == {"location": invalid_pk(location_id)}
    assert count(FloorPlan) == 0


def test_floor_is_unique_per_location(client, tenants, make):
    location = make.location(tenants.a, type="indoor")
    make_floorplan(location, floor=1)
    response = client.post(FLOORPLANS, headers=tenants.headers_a, json={"location": str(location.id), "floor": 1})
    assert response.status_code == 400
    assert response.get_json() == FLOOR_TAKEN
    assert count(FloorPlan) == 1
    other = make.location(tenants.a, type="indoor")
    response = client.post(FLOORPLANS, headers=tenants.headers_a, json={"location": str(other.id), "floor": 1})
    assert response.status_code == 201


@pytest.mark.parametrize(("floor", "message"), [
    ("abc", "Not a valid integer."),
    (1.5, "Not a valid integer."),
    ("1.5", "Not a valid integer."),
    (True, "Not a valid integer."),
    (None, "This field may not be null."),
    (40000, "Must be greater than or equal to -32768 and less than or equal to 32767."),
    (-2**40, "Must be greater than or equal to -32768 and less than or equal to 32767."),
])
def test_invalid_floor_is_400(client, tenants, make, floor, message):
    location = make.location(tenants.a, type="indoor")
    response = client.post(FLOORPLANS, headers=tenants.headers_a, json={"location": str(location.id), "floor": floor})
    assert response.status_code == 400
    assert response.get_json() == {"floor": [message]}
    assert count(FloorPlan) == 0


@pytest.mark.parametrize(("floor", "stored"), [
    (3, 3), ("3", 3), (" -2 ", -2), (1.0, 1), (-32768, -32768), (32767, 32767),
])
def test_floor_spellings(client, tenants, make, floor, stored):
    location = make.location(tenants.a, type="indoor")
    response = client.post(FLOORPLANS, headers=tenants.headers_a, json={"location": str(location.id), "floor": floor})
    assert response.status_code == 201
    assert response.get_json()["floor"] == stored


def test_floorplan_required_fields(client, tenants):
    response = client.post(FLOORPLANS, headers=tenants.headers_a, json={})
    assert response.status_code == 400
    assert response.get_json() == {"location": ["This field is required."], "floor": ["This field is required."]}


def test_upload_image(client, tenants, make, media_root):
    location = make.location(tenants.a, type="indoor")
    response = client.post(
        FLOORPLANS, headers=tenants.headers_a, content_type="multipart/form-data",
        data={"location": str(location.id), "floor": "3", "image": (io.BytesIO(PNG), "Ground Plan.PNG")},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["floor"] == 3
    assert body["organization"] == str(tenants.a.id)
    assert body["image"] == f"http://localhost/media/floorplans/{body['id']}.png"
    assert (media_root / "floorplans" / f"{body['id']}.png").read_bytes() == PNG
    assert fresh(FloorPlan, body["id"]).image == f"floorplans/{body['id']}.png"

    image = client.get(body["image"], headers=tenants.headers_a)
    assert image.status_code == 200
    assert image.data == PNG
    assert image.mimetype == "image/png"
    image.close()

    detail = client.get(floorplan_url(body["id"]), headers=tenants.headers_a).get_json()
    assert detail["image"] == body["image"]
    listed = client.get(FLOORPLANS, headers=tenants.headers_a).get_json()["results"]
    assert [f["image"] for f in listed] == [body["image"]]


def test_multipart_without_image(client, tenants, make, media_root):
    location = make.location(tenants.a, type="indoor")
    response = client.post(FLOORPLANS, headers=tenants.headers_a, content_type="multipart/form-data",
                           data={"location": str(location.id), "floor": "0"})
    assert response.status_code == 201
    assert response.get_json()["image"] is None
    assert media_files(media_root) == []


@pytest.mark.parametrize("filename", ["plan.exe", "plan", "plan.png.exe", "plan.pdf"])
def test_upload_with_wrong_extension_is_400_and_writes_nothing(client, tenants, make, media_root, filename):
    location = make.location(tenants.a, type="indoor")
    response = client.post(
        FLOORPLANS, headers=tenants.headers_a, content_type="multipart/form-data",
        data={"location": str(location.id), "floor": "1", "image": (io.BytesIO(b"MZ\x90\x00"), filename)},
    )
    assert response.status_code == 400
    assert response.get_json() == BAD_IMAGE
    assert count(FloorPlan) == 0
    assert media_files(media_root) == []


def test_upload_with_invalid_fields_writes_nothing(client, tenants, make, media_root):
    outdoor = make.location(tenants.a, type="outdoor")
    indoor = make.location(tenants.a, type="indoor")
    make_floorplan(indoor, floor=1)
    cases = [
        ({"location": str(outdoor.id), "floor": "1"}, ONLY_INDOOR),
        ({"location": str(indoor.id), "floor": "1"}, FLOOR_TAKEN),
        ({"location": str(indoor.id), "floor": "first"}, {"floor": ["Not a valid integer."]}),
    ]
    for fields, expected in cases:
        data = dict(fields, image=(io.BytesIO(PNG), "plan.png"))
        response = client.post(FLOORPLANS, headers=tenants.headers_a, content_type="multipart/form-data", data=data)
        assert response.status_code == 400
        assert response.get_json() == expected
    assert count(FloorPlan) == 1
    assert media_files(media_root) == []


def test_replace_image(client, tenants, make, media_root):
    location = make.location(tenants.a, type="indoor")
    created = client.post(
        FLOORPLANS, headers=tenants.headers_a, content_type="multipart/form-data",
        data={"location": str(location.id), "floor": "1", "image": (io.BytesIO(PNG), "plan.png")},
    ).get_json()
    floorplan_id = created["id"]

    response = client.patch(floorplan_url(floorplan_id), headers=tenants.headers_a,
                            content_type="multipart/form-data",
                            data={"image": (io.BytesIO(b"GIF89a-new"), "plan.gif")})
    assert response.status_code == 200
    assert response.get_json()["image"] == f"http://localhost/media/floorplans/{floorplan_id}.gif"
    assert response.get_json()["floor"] == 1
    assert media_files(media_root) == [f"floorplans/{floorplan_id}.gif"]
    image = client.get(response.get_json()["image"], headers=tenants.headers_a)
    assert image.data == b"GIF89a-new"
    image.close()

    # a bad file keeps the current one
    response = client.patch(floorplan_url(floorplan_id), headers=tenants.headers_a,
                            content_type="multipart/form-data",
                            data={"floor": "5", "image": (io.BytesIO(b"x"), "plan.exe")})
    assert response.status_code == 400
    assert response.get_json() == BAD_IMAGE
    assert fresh(FloorPlan, floorplan_id).floor == 1
    assert media_files(media_root) == [f"floorplans/{floorplan_id}.gif"]

    # a JSON change keeps the image
    response = client.patch(floorplan_url(floorplan_id), headers=tenants.headers_a, json={"floor": 7})
    assert response.status_code == 200
    assert response.get_json()["image"] == f"http://localhost/media/floorplans/{floorplan_id}.gif"


def test_delete_floorplan_removes_its_image_and_unplaces_devices(client, tenants, make, media_root):
    location = make.location(tenants.a, type="indoor")
    device = make.device(tenants.a)
    created = client.post(
        FLOORPLANS, headers=tenants.headers_a, content_type="multipart/form-data",
        data={"location": str(location.id), "floor": "1", "image": (io.BytesIO(PNG), "plan.png")},
    ).get_json()
    client.put(f"/api/v1/controller/device/{device.id}/location/", headers=tenants.headers_a,
               json={"location": str(location.id), "floorplan": created["id"], "indoor": "1,2"})

    response = client.delete(floorplan_url(created["id"]), headers=tenants.headers_a)
    assert response.status_code == 204
    assert count(FloorPlan) == 0
    assert media_files(media_root) == []
    assert client.get(created["image"], headers=tenants.headers_a).status_code == 404
    row = fresh(DeviceLocation, device.id)
    assert (row.location_id, row.floorplan_id) == (location.id, None)


def test_patch_floorplan(client, tenants, make):
    location = make.location(tenants.a, type="indoor")
    floorplan = make_floorplan(location, floor=1)
    make_floorplan(location, floor=2)
    url = floorplan_url(floorplan.id)

    response = client.patch(url, headers=tenants.headers_a, json={"floor": 2})
    assert response.status_code == 400
    assert response.get_json() == FLOOR_TAKEN
    response = client.patch(url, headers=tenants.headers_a, json={"floor": 1})
    assert response.status_code == 200

    other_indoor = make.location(tenants.a, type="indoor")
    response = client.patch(url, headers=tenants.headers_a, json={"location": str(other_indoor.id), "floor": 2})
    assert response.status_code == 200
    assert response.get_json()["location"] == str(other_indoor.id)
    assert response.get_json()["floor"] == 2

    outdoor = make.location(tenants.a, type="outdoor")
    response = client.patch(url, headers=tenants.headers_a, json={"location": str(outdoor.id)})
    assert response.status_code == 400
    assert response.get_json() == ONLY_INDOOR

    foreign = make.location(tenants.b, type="indoor")
    response = client.patch(url, headers=tenants.headers_super, json={"location": str(foreign.id)})
    assert response.status_code == 400
    assert response.get_json() == {"location": ["The floorplan cannot move to another organization."]}
    response = client.patch(url, headers=tenants.headers_a, json={"location": str(foreign.id)})
    assert response.status_code == 400
    assert response.get_json() == {"location": invalid_pk(foreign.id)}

    row = fresh(FloorPlan, floorplan.id)
    assert (row.location_id, row.floor, row.organization_id) == (other_indoor.id, 2, tenants.a.id)


def test_floorplan_with_devices_cannot_move(client, tenants, make):
    location = make.location(tenants.a, type="indoor")
    floorplan = make_floorplan(location)
    device = make.device(tenants.a)
    client.put(f"/api/v1/controller/device/{device.id}/location/", headers=tenants.headers_a,
               json={"location": str(location.id), "floorplan": str(floorplan.id)})
    target = make.location(tenants.a, type="indoor")
    response = client.patch(floorplan_url(floorplan.id), headers=tenants.headers_a,
                            json={"location": str(target.id)})
    assert response.status_code == 400
    assert response.get_json() == {
        "location": ["Devices are placed on this floorplan: it cannot move to another location."],
    }
    assert fresh(FloorPlan, floorplan.id).location_id == location.id


def test_put_floorplan(client, tenants, make):
    location = make.location(tenants.a, type="indoor")
    floorplan = make_floorplan(location, floor=1)
    response = client.put(floorplan_url(floorplan.id), headers=tenants.headers_a, json={"floor": 4})
    assert response.status_code == 400
    assert response.get_json() == {"location": ["This field is required."]}
    response = client.put(floorplan_url(floorplan.id), headers=tenants.headers_a,
                          json={"location": str(location.id), "floor": 4})
    assert response.status_code == 200
    assert response.get_json()["floor"] == 4


def test_list_floorplans(client, tenants, make):
    first, second = make.location(tenants.a, type="indoor"), make.location(tenants.a, type="indoor")
    theirs = make.location(tenants.b, type="indoor")
    make_floorplan(first, floor=2)
    make_floorplan(first, floor=-1)
    make_floorplan(second, floor=0)
    make_floorplan(theirs, floor=0)

    body = client.get(FLOORPLANS, headers=tenants.headers_a).get_json()
    assert body["count"] == 3
    assert {f["organization"] for f in body["results"]} == {str(tenants.a.id)}
    body = client.get(FLOORPLANS, headers=tenants.headers_a, query_string={"location": str(first.id)}).get_json()
    assert [f["floor"] for f in body["results"]] == [-1, 2]
    body = client.get(FLOORPLANS, headers=tenants.headers_a, query_string={"organization": str(tenants.b.id)})
    assert body.get_json()["count"] == 0
    assert client.get(FLOORPLANS, headers=tenants.headers_super).get_json()["count"] == 4
    body = client.get(FLOORPLANS, headers=tenants.headers_super,
                      query_string={"organization": str(tenants.b.id)}).get_json()
    assert [f["location"] for f in body["results"]] == [str(theirs.id)]


def test_floorplans_of_other_orgs_are_404(client, tenants, make, media_root):
    mine = make.location(tenants.a, type="indoor")
    floorplan = make_floorplan(make.location(tenants.b, type="indoor"), floor=3)
    url = floorplan_url(floorplan.id)
    headers = tenants.headers_a
    for response in (
        client.get(url, headers=headers),
        client.put(url, headers=headers, json={"location": str(mine.id), "floor": 1}),
        client.patch(url, headers=headers, json={"floor": 1}),
        client.patch(url, headers=headers, content_type="multipart/form-data",
                     data={"image": (io.BytesIO(PNG), "plan.png")}),
        client.delete(url, headers=headers),
    ):
        assert response.status_code == 404
        assert response.get_json() == FLOORPLAN_NOT_FOUND
    row = fresh(FloorPlan, floorplan.id)
    assert (row.floor, row.location_id, row.image) == (3, floorplan.location_id, None)
    assert media_files(media_root) == []
    assert client.get(url, headers=tenants.headers_super).status_code == 200


def test_floorplan_endpoints_need_a_manager(client, tenants, make):
    location = make.location(tenants.a, type="indoor")
    member = make.user(member_of=[tenants.a])
    response = client.post(FLOORPLANS, headers=make.headers(member), json={"location": str(location.id), "floor": 1})
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}
    assert client.post(FLOORPLANS, json={"location": str(location.id), "floor": 1}).status_code == 401
    assert count(FloorPlan) == 0


def test_media_is_served_inert(client, make, admin_headers, media_root):
    location = make.location(make.org(), type="indoor")
    created = client.post(FLOORPLANS, headers=admin_headers, content_type="multipart/form-data",
                          data={"location": str(location.id), "floor": "1", "image": (io.BytesIO(PNG), "x.png")})
    response = client.get(created.get_json()["image"], headers=admin_headers)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


def test_svg_uploads_are_refused(client, make, admin_headers):
    import io

    org = make.org()
    location = make.location(org, type="indoor")
    response = client.post("/api/v1/controller/floorplan/", headers=admin_headers,
                           data={"location": str(location.id), "floor": "1",
                                 "image": (io.BytesIO(b"<svg onload='alert(1)'/>"), "plan.svg")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json() == BAD_IMAGE


# --- floorplan images: written only once committed, served only to who sees the floorplan ---

@contextmanager
def failing_floorplan_commits():
    """Every commit writing a floorplan row fails in the database, as a lost race does (a
    deferred trigger raising a unique violation when the transaction commits)."""
    db.session.execute(text(
        "CREATE FUNCTION fail_floorplan_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'forced commit failure' USING ERRCODE = 'unique_violation'; END $$"))
    db.session.execute(text(
        "CREATE CONSTRAINT TRIGGER fail_floorplan_commit AFTER INSERT OR UPDATE ON floorplans"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_floorplan_commit()"))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.execute(text("DROP TRIGGER fail_floorplan_commit ON floorplans"))
        db.session.execute(text("DROP FUNCTION fail_floorplan_commit()"))
        db.session.commit()


def upload(client, headers, url, *, image: tuple[bytes, str], method="POST", **fields):
    return client.open(url, method=method, headers=headers, content_type="multipart/form-data",
                       data={**fields, "image": (io.BytesIO(image[0]), image[1])})


def test_a_failed_commit_leaves_no_image_file(client, tenants, make, media_root):
    location = make.location(tenants.a, type="indoor")
    with failing_floorplan_commits():
        response = upload(client, tenants.headers_a, FLOORPLANS, location=str(location.id), floor="1",
                          image=(PNG, "plan.png"))
    assert response.status_code == 400
    assert count(FloorPlan) == 0
    assert media_files(media_root) == []


@pytest.mark.parametrize("filename", ["new.png", "new.gif"])
def test_a_failed_commit_keeps_the_previous_image(client, tenants, make, media_root, filename):
    location = make.location(tenants.a, type="indoor")
    created = upload(client, tenants.headers_a, FLOORPLANS, location=str(location.id), floor="1",
                     image=(PNG, "plan.png")).get_json()
    stored = [f"floorplans/{created['id']}.png"]
    assert media_files(media_root) == stored

    with failing_floorplan_commits():
        response = upload(client, tenants.headers_a, floorplan_url(created["id"]), method="PATCH", floor="2",
                          image=(b"GIF89a-new", filename))
    assert response.status_code == 400
    assert fresh(FloorPlan, created["id"]).floor == 1
    assert media_files(media_root) == stored
    assert (media_root / stored[0]).read_bytes() == PNG
    image = client.get(created["image"], headers=tenants.headers_a)
    assert image.data == PNG
    image.close()


def test_floorplan_images_are_served_to_who_may_see_the_floorplan(client, tenants, make, media_root):
    location = make.location(tenants.a, type="indoor")
    created = upload(client, tenants.headers_a, FLOORPLANS, location=str(location.id), floor="1",
                     image=(PNG, "plan.png")).get_json()
    image_url = created["image"]
    assert image_url == f"http://localhost/media/floorplans/{created['id']}.png"  # the URL stays as it was

    for headers in (tenants.headers_a, tenants.headers_super):
        response = client.get(image_url, headers=headers)
        assert response.status_code == 200 and response.data == PNG
        assert response.mimetype == "image/png"
        assert "private" in response.headers["Cache-Control"]
        response.close()

    anonymous = client.get(image_url)
    assert anonymous.status_code == 401
    assert anonymous.get_json() == {"detail": "Authentication credentials were not provided."}
    # Another tenant's manager: exactly what a file that does not exist answers.
    other_tenant = client.get(image_url, headers=tenants.headers_b)
    missing = client.get(f"http://localhost/media/floorplans/{uuid.uuid4()}.png", headers=tenants.headers_b)
    assert other_tenant.status_code == missing.status_code == 404
    assert other_tenant.get_json() == missing.get_json()
    member = make.headers(make.user(member_of=[tenants.a]))
    response = client.get(image_url, headers=member)
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}
    # Only images of floorplans are served: no other file under MEDIA_ROOT.
    (media_root / "notes.txt").write_text("not a floorplan")
    for path in ("notes.txt", "floorplans/../notes.txt", "floorplans"):
        assert client.get(f"/media/{path}", headers=tenants.headers_super).status_code == 404, path


def test_a_browser_session_sees_the_images_of_its_floorplans(client, tenants, make, media_root):
    location = make.location(tenants.a, type="indoor")
    created = upload(client, tenants.headers_a, FLOORPLANS, location=str(location.id), floor="1",
                     image=(PNG, "plan.png")).get_json()
    manager = make.user(manages=[tenants.a], password="manager-pass")
    browser = client.application.test_client()
    assert login(browser, manager.username, "manager-pass").status_code == 303
    response = browser.get(created["image"])
    assert response.status_code == 200 and response.data == PNG
    response.close()
