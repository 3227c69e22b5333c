"""/api/v1/controller/device/: registration, validation, tenancy, deactivation, location."""
from __future__ import annotations

import re
import uuid

import pytest

from monitoring.extensions import db
from monitoring.models import Device, DeviceLocation, DeviceMonitoring
from tests.inventory.support import (
    NOT_AUTHENTICATED,
    NOT_MANAGER,
    TIMESTAMP_RE,
    count,
    fresh,
    invalid_pk,
    make_floorplan,
    make_group,
)

URL = "/api/v1/controller/device/"
# Every refused key gets this one answer, a key another device has included.
INVALID_KEY = "Enter a key of 16 to 64 letters and digits that no other device uses."
DEVICE_FIELDS = [
    "id", "name", "organization", "group", "mac_address", "key", "last_ip", "management_ip", "model", "os",
    "system", "notes", "hardware_id", "is_deactivated", "config", "monitoring", "created", "modified",
]


def detail_url(device_id) -> str:
    return f"{URL}{device_id}/"


def location_url(device_id) -> str:
    return f"{URL}{device_id}/location/"


def payload(org, **fields) -> dict:
    data = {"name": "router-1", "organization": str(org.id), "mac_address": "00:11:22:aa:bb:cc"}
    data.update(fields)
    return data


# --- create ---------------------------------------------------------------------------

def test_create_returns_the_device_with_a_generated_key_and_unknown_status(client, tenants):
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a))
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == set(DEVICE_FIELDS)
    assert uuid.UUID(body["id"]).version == 4
    assert re.fullmatch(r"[0-9a-f]{32}", body["key"])
    assert body["name"] == "router-1"
    assert body["organization"] == str(tenants.a.id)
    assert body["group"] is None
    assert body["mac_address"] == "00:11:22:aa:bb:cc"
    assert body["last_ip"] is None and body["management_ip"] is None
    assert body["model"] == body["os"] == body["system"] == body["notes"] == body["hardware_id"] == ""
    assert body["is_deactivated"] is False
    assert body["config"] is None
    assert body["monitoring"] == {"status": "unknown"}
    assert TIMESTAMP_RE.match(body["created"]) and TIMESTAMP_RE.match(body["modified"])

    device = fresh(Device, body["id"])
    assert device.key == body["key"]
    assert device.organization_id == tenants.a.id
    assert fresh(DeviceMonitoring, body["id"]).status == "unknown"


def test_create_keys_are_random(client, tenants):
    first = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, name="one"))
    second = client.post(URL, headers=tenants.headers_a,
                         json=payload(tenants.a, name="two", mac_address="00:11:22:aa:bb:cd"))
    assert first.status_code == second.status_code == 201
    assert first.get_json()["key"] != second.get_json()["key"]


def test_create_with_all_writable_fields(client, tenants, make):
    group = make_group(tenants.a, "aps")
    data = payload(
        tenants.a, group=str(group.id), key="MySecretKey123456", management_ip="10.0.0.1", model="TL-WR",
        os="OpenWrt 23.05", system="ath79", notes="rack 3", hardware_id="HW-1",
    )
    response = client.post(URL, headers=tenants.headers_a, json=data)
    assert response.status_code == 201
    body = response.get_json()
    assert body["group"] == str(group.id)
    assert body["key"] == "MySecretKey123456"
    assert body["management_ip"] == "10.0.0.1"
    assert (body["model"], body["os"], body["system"], body["notes"], body["hardware_id"]) == (
        "TL-WR", "OpenWrt 23.05", "ath79", "rack 3", "HW-1",
    )
    assert fresh(Device, body["id"]).group_id == group.id


def test_create_ignores_read_only_fields(client, tenants):
    data = payload(tenants.a, id=str(uuid.uuid4()), is_deactivated=True, last_ip="1.2.3.4",
                   monitoring={"status": "ok"})
    response = client.post(URL, headers=tenants.headers_a, json=data)
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] != data["id"]
    assert body["is_deactivated"] is False
    assert body["last_ip"] is None
    assert body["monitoring"] == {"status": "unknown"}


@pytest.mark.parametrize("raw", [
    "00-11-22-AA-BB-CC", "0011.22aa.bbcc", "001122AABBCC", "00:11:22:AA:BB:CC", " 00:11:22:aa:bb:cc ",
])
def test_mac_address_is_normalised(client, tenants, raw):
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, mac_address=raw))
    assert response.status_code == 201
    assert response.get_json()["mac_address"] == "00:11:22:aa:bb:cc"
    assert fresh(Device, response.get_json()["id"]).mac_address == "00:11:22:aa:bb:cc"


@pytest.mark.parametrize("raw", [
    "zz:11:22:33:44:55", "00:11:22:33:44", "00:11:22:33:44:55:66", "00:11-22:33:44:55", "0011.22aa.bbc",
    "00112233445", "", "not a mac",
])
def test_invalid_mac_address_is_400_and_nothing_written(client, tenants, raw):
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, mac_address=raw))
    assert response.status_code == 400
    assert response.get_json() == {"mac_address": ["Enter a valid MAC address."]}
    assert count(Device) == 0
    assert count(DeviceMonitoring) == 0


@pytest.mark.parametrize(("raw", "stored"), [
    ("", None), ("   ", None), (None, None), ("192.168.1.1", "192.168.1.1"), ("2001:DB8::1", "2001:db8::1"),
])
def test_management_ip(client, tenants, raw, stored):
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, management_ip=raw))
    assert response.status_code == 201
    assert response.get_json()["management_ip"] == stored
    assert fresh(Device, response.get_json()["id"]).management_ip == stored


@pytest.mark.parametrize("raw", ["999.1.1.1", "10.0.0", "host.example.com", "::g"])
def test_invalid_management_ip_is_400(client, tenants, raw):
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, management_ip=raw))
    assert response.status_code == 400
    assert response.get_json() == {"management_ip": ["Enter a valid IPv4 or IPv6 address."]}
    assert count(Device) == 0


def test_required_fields(client, tenants):
    response = client.post(URL, headers=tenants.headers_a, json={})
    assert response.status_code == 400
    assert response.get_json() == {
        "name": ["This field is required."],
        "organization": ["This field is required."],
        "mac_address": ["This field is required."],
    }
    assert count(Device) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Length must be between 1 and 64."),
    ("name", "x" * 65, "Length must be between 1 and 64."),
    ("name", None, "This field may not be null."),
    ("organization", "not-a-uuid", "Not a valid UUID."),
    ("group", "not-a-uuid", "Not a valid UUID."),
    ("key", "has spaces but is long", INVALID_KEY),
    ("key", "", INVALID_KEY),
    ("key", "k" * 15, INVALID_KEY),
    ("key", "k" * 65, INVALID_KEY),
    ("hardware_id", "h" * 33, "Longer than maximum length 32."),
])
def test_invalid_field_is_400_keyed_by_field(client, tenants, field, value, message):
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, **{field: value}))
    assert response.status_code == 400
    body = response.get_json()
    assert list(body) == [field]
    assert message in body[field]
    assert count(Device) == 0


def test_duplicate_name_in_same_org_is_400(client, tenants, make):
    make.device(tenants.a, name="router-1")
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a))
    assert response.status_code == 400
    assert response.get_json() == {"name": ["A device with this name already exists in the organization."]}
    assert count(Device) == 1


def test_duplicate_mac_in_same_org_is_400_whatever_its_spelling(client, tenants, make):
    make.device(tenants.a, mac_address="00:11:22:aa:bb:cc")
    response = client.post(URL, headers=tenants.headers_a,
                           json=payload(tenants.a, name="other", mac_address="00-11-22-AA-BB-CC"))
    assert response.status_code == 400
    assert response.get_json() == {
        "mac_address": ["A device with this MAC address already exists in the organization."],
    }
    assert count(Device) == 1


def test_duplicate_name_and_mac_report_both(client, tenants, make):
    make.device(tenants.a, name="router-1", mac_address="00:11:22:aa:bb:cc")
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a))
    assert response.status_code == 400
    assert set(response.get_json()) == {"name", "mac_address"}


def test_same_name_and_mac_allowed_in_another_org(client, tenants, make):
    make.device(tenants.b, name="router-1", mac_address="00:11:22:aa:bb:cc")
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a))
    assert response.status_code == 201
    assert count(Device) == 2


def test_a_key_of_another_device_is_refused_like_any_invalid_key(client, tenants, make):
    """Keys are unique across organizations; whose key it is stays untold: the answer is the
    one a malformed key gets."""
    other = make.device(tenants.b)
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, key=other.key))
    assert response.status_code == 400
    assert response.get_json() == {"key": [INVALID_KEY]}
    malformed = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, key="short"))
    assert malformed.get_json() == response.get_json()
    assert count(Device) == 1


@pytest.mark.parametrize("key", ["k" * 16, "0123456789abcdef" * 2, "A1" * 32])
def test_a_chosen_key_of_16_to_64_letters_and_digits_is_kept(client, tenants, key):
    """OpenWISP's registration derives 32-character keys on the device."""
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, key=key))
    assert response.status_code == 201
    assert response.get_json()["key"] == key


def test_group_of_another_org_is_400(client, tenants):
    group_b = make_group(tenants.b)
    response = client.post(URL, headers=tenants.headers_super, json=payload(tenants.a, group=str(group_b.id)))
    assert response.status_code == 400
    assert response.get_json() == {"group": invalid_pk(group_b.id)}
    assert count(Device) == 0


def test_unknown_group_is_400(client, tenants):
    missing = uuid.uuid4()
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, group=str(missing)))
    assert response.status_code == 400
    assert response.get_json() == {"group": invalid_pk(missing)}


@pytest.mark.parametrize("which", ["other", "missing"])
def test_organization_not_managed_is_400(client, tenants, which):
    org_id = tenants.b.id if which == "other" else uuid.uuid4()
    response = client.post(URL, headers=tenants.headers_a, json=payload(tenants.a, organization=str(org_id)))
    assert response.status_code == 400
    assert response.get_json() == {"organization": invalid_pk(org_id)}
    assert count(Device) == 0


def test_create_in_inactive_org_of_the_manager_is_400(client, tenants, make):
    disabled = make.org(is_active=False)
    headers = make.headers(make.user(manages=[tenants.a, disabled]))
    response = client.post(URL, headers=headers, json=payload(disabled))
    assert response.status_code == 400
    assert response.get_json() == {"organization": invalid_pk(disabled.id)}
    assert count(Device) == 0


def test_superuser_creates_in_any_org(client, tenants):
    response = client.post(URL, headers=tenants.headers_super, json=payload(tenants.b))
    assert response.status_code == 201
    assert response.get_json()["organization"] == str(tenants.b.id)


def test_validation_comes_after_authentication(client, make):
    member_org = make.org()
    member = make.user(member_of=[member_org])
    response = client.post(URL, json={})
    assert response.status_code == 401
    assert response.get_json() == {"detail": NOT_AUTHENTICATED}
    response = client.post(URL, headers=make.headers(member), json={})
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}


# --- list -----------------------------------------------------------------------------

def test_list_hides_keys_and_shows_status(client, tenants, make):
    device = make.device(tenants.a, name="alpha")
    response = client.get(URL, headers=tenants.headers_a)
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    item = body["results"][0]
    assert "key" not in item
    assert item["id"] == str(device.id)
    assert item["organization"] == str(tenants.a.id)
    assert item["monitoring"] == {"status": "unknown"}
    assert set(item) == set(DEVICE_FIELDS) - {"key"}


def test_detail_shows_key(client, tenants, make):
    device = make.device(tenants.a)
    response = client.get(detail_url(device.id), headers=tenants.headers_a)
    assert response.status_code == 200
    body = response.get_json()
    assert body["key"] == device.key
    assert body["id"] == str(device.id)
    assert set(body) == set(DEVICE_FIELDS)


def test_list_is_ordered_by_name(client, tenants, make):
    for name in ("charlie", "alpha", "bravo"):
        make.device(tenants.a, name=name)
    body = client.get(URL, headers=tenants.headers_a).get_json()
    assert [d["name"] for d in body["results"]] == ["alpha", "bravo", "charlie"]


def test_list_filters(client, tenants, make):
    group = make_group(tenants.a, "aps")
    in_group = make.device(tenants.a, name="ap-lobby", group_id=group.id)
    make.device(tenants.a, name="router-core", mac_address="aa:bb:cc:dd:ee:01")
    other_org = make.device(tenants.b, name="ap-b")

    def names(**params):
        response = client.get(URL, headers=tenants.headers_super, query_string=params)
        assert response.status_code == 200
        return sorted(d["name"] for d in response.get_json()["results"])

    assert names() == ["ap-b", "ap-lobby", "router-core"]
    assert names(organization=str(tenants.a.id)) == ["ap-lobby", "router-core"]
    assert names(organization=str(tenants.b.id)) == [other_org.name]
    assert names(group=str(group.id)) == [in_group.name]
    assert names(search="AP-") == ["ap-b", "ap-lobby"]
    assert names(search="AA:BB:CC") == ["router-core"]
    assert names(search="ap", organization=str(tenants.a.id)) == ["ap-lobby"]
    assert names(search="%") == []
    assert names(search="_") == []
    assert names(organization=str(uuid.uuid4())) == []


def test_search_with_null_character_is_400(client, tenants):
    response = client.get(f"{URL}?search=a%00b", headers=tenants.headers_a)
    assert response.status_code == 400
    assert response.get_json() == {"search": ["Null characters are not allowed."]}


@pytest.mark.parametrize("param", ["organization", "group"])
def test_list_filter_with_bad_uuid_is_400(client, tenants, param):
    response = client.get(URL, headers=tenants.headers_a, query_string={param: "nope"})
    assert response.status_code == 400
    assert response.get_json() == {param: ["Not a valid UUID."]}


def test_pagination(client, tenants, make):
    for i in range(5):
        make.device(tenants.a, name=f"dev-{i}")
    first = client.get(URL, headers=tenants.headers_a, query_string={"page_size": 2, "search": "dev"})
    assert first.status_code == 200
    body = first.get_json()
    assert body["count"] == 5
    assert [d["name"] for d in body["results"]] == ["dev-0", "dev-1"]
    assert body["previous"] is None
    assert body["next"] == "http://localhost/api/v1/controller/device/?page_size=2&search=dev&page=2"

    last = client.get(URL, headers=tenants.headers_a, query_string={"page_size": 2, "search": "dev", "page": 3})
    body = last.get_json()
    assert [d["name"] for d in body["results"]] == ["dev-4"]
    assert body["next"] is None
    assert body["previous"] == "http://localhost/api/v1/controller/device/?page_size=2&search=dev&page=2"

    beyond = client.get(URL, headers=tenants.headers_a, query_string={"page_size": 2, "page": 4})
    assert beyond.status_code == 404
    assert beyond.get_json() == {"detail": "Invalid page."}
    assert client.get(URL, headers=tenants.headers_a, query_string={"page": "x"}).status_code == 404


def test_pagination_default_and_maximum_size(client, tenants, make):
    for i in range(12):
        make.device(tenants.a, name=f"dev-{i:02d}")
    body = client.get(URL, headers=tenants.headers_a).get_json()
    assert body["count"] == 12 and len(body["results"]) == 10
    body = client.get(URL, headers=tenants.headers_a, query_string={"page_size": "junk"}).get_json()
    assert len(body["results"]) == 10
    body = client.get(URL, headers=tenants.headers_a, query_string={"page_size": 1000}).get_json()
    assert len(body["results"]) == 12 and body["next"] is None


# --- tenancy --------------------------------------------------------------------------

def test_manager_never_sees_devices_of_other_orgs(client, tenants, make):
    mine = make.device(tenants.a)
    make.device(tenants.b)
    make.device(tenants.b)
    body = client.get(URL, headers=tenants.headers_a).get_json()
    assert body["count"] == 1
    assert [d["id"] for d in body["results"]] == [str(mine.id)]
    body = client.get(URL, headers=tenants.headers_a, query_string={"organization": str(tenants.b.id)}).get_json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_superuser_sees_all_devices(client, tenants, make):
    make.device(tenants.a)
    make.device(tenants.b)
    assert client.get(URL, headers=tenants.headers_super).get_json()["count"] == 2


def test_manager_of_several_orgs_sees_them_all(client, tenants, make):
    make.device(tenants.a)
    make.device(tenants.b)
    make.device(make.org())
    both = make.user(manages=[tenants.a, tenants.b])
    assert client.get(URL, headers=make.headers(both)).get_json()["count"] == 2


def test_devices_of_other_orgs_are_404(client, tenants, make):
    device = make.device(tenants.b, name="theirs")
    not_found = {"detail": "No Device matches the given query."}
    headers = tenants.headers_a
    for response in (
        client.get(detail_url(device.id), headers=headers),
        client.put(detail_url(device.id), headers=headers, json=payload(tenants.a)),
        client.patch(detail_url(device.id), headers=headers, json={"name": "mine"}),
        client.delete(detail_url(device.id), headers=headers),
        client.post(f"{detail_url(device.id)}deactivate/", headers=headers),
        client.post(f"{detail_url(device.id)}activate/", headers=headers),
        client.get(location_url(device.id), headers=headers),
        client.delete(location_url(device.id), headers=headers),
    ):
        assert response.status_code == 404
        assert response.get_json() == not_found
    row = fresh(Device, device.id)
    assert row.name == "theirs" and row.is_deactivated is False


def test_unknown_device_is_404(client, tenants):
    response = client.get(detail_url(uuid.uuid4()), headers=tenants.headers_super)
    assert response.status_code == 404
    assert response.get_json() == {"detail": "No Device matches the given query."}


def test_manager_of_inactive_org_is_403(client, make):
    org = make.org(is_active=False)
    make.device(org)
    headers = make.headers(make.user(manages=[org]))
    response = client.get(URL, headers=headers)
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}


# --- change ---------------------------------------------------------------------------

def test_put_replaces_fields(client, tenants, make):
    device = make.device(tenants.a, notes="old", model="m1")
    group = make_group(tenants.a)
    data = payload(tenants.a, name="renamed", mac_address="AA-BB-CC-00-11-22", group=str(group.id),
                   notes="new", management_ip="10.1.1.1")
    response = client.put(detail_url(device.id), headers=tenants.headers_a, json=data)
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "renamed"
    assert body["mac_address"] == "aa:bb:cc:00:11:22"
    assert body["group"] == str(group.id)
    assert body["notes"] == "new"
    assert body["management_ip"] == "10.1.1.1"
    assert body["key"] == device.key  # not sent: kept
    row = fresh(Device, device.id)
    assert (row.name, row.mac_address, row.group_id, row.notes) == ("renamed", "aa:bb:cc:00:11:22", group.id, "new")


def test_put_requires_required_fields(client, tenants, make):
    device = make.device(tenants.a, name="keep")
    response = client.put(detail_url(device.id), headers=tenants.headers_a, json={"name": "x"})
    assert response.status_code == 400
    assert response.get_json() == {
        "organization": ["This field is required."],
        "mac_address": ["This field is required."],
    }
    assert fresh(Device, device.id).name == "keep"


def test_patch_changes_only_given_fields(client, tenants, make):
    device = make.device(tenants.a, name="before", notes="keep me")
    response = client.patch(detail_url(device.id), headers=tenants.headers_a,
                            json={"name": "after", "management_ip": ""})
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "after"
    assert body["notes"] == "keep me"
    assert body["mac_address"] == device.mac_address
    assert body["management_ip"] is None
    assert fresh(Device, device.id).name == "after"


def test_patch_normalises_mac_and_rejects_bad_one(client, tenants, make):
    device = make.device(tenants.a)
    response = client.patch(detail_url(device.id), headers=tenants.headers_a, json={"mac_address": "A1B2C3D4E5F6"})
    assert response.status_code == 200
    assert response.get_json()["mac_address"] == "a1:b2:c3:d4:e5:f6"
    response = client.patch(detail_url(device.id), headers=tenants.headers_a, json={"mac_address": "zz"})
    assert response.status_code == 400
    assert response.get_json() == {"mac_address": ["Enter a valid MAC address."]}
    assert fresh(Device, device.id).mac_address == "a1:b2:c3:d4:e5:f6"


def test_patch_to_duplicate_name_mac_or_key_is_400(client, tenants, make):
    taken = make.device(tenants.a, name="taken", mac_address="00:00:00:00:00:01")
    foreign = make.device(tenants.b)
    device = make.device(tenants.a, name="mine")
    url = detail_url(device.id)
    response = client.patch(url, headers=tenants.headers_a, json={"name": "taken"})
    assert response.status_code == 400
    assert response.get_json() == {"name": ["A device with this name already exists in the organization."]}
    response = client.patch(url, headers=tenants.headers_a, json={"mac_address": "00-00-00-00-00-01"})
    assert response.status_code == 400
    assert list(response.get_json()) == ["mac_address"]
    response = client.patch(url, headers=tenants.headers_a, json={"key": foreign.key})
    assert response.status_code == 400
    assert response.get_json() == {"key": [INVALID_KEY]}
    row = fresh(Device, device.id)
    assert row.name == "mine" and row.key != foreign.key and row.mac_address != taken.mac_address


def test_patch_keeping_own_values_is_not_a_duplicate(client, tenants, make):
    device = make.device(tenants.a, name="same")
    response = client.patch(detail_url(device.id), headers=tenants.headers_a,
                            json={"name": "same", "mac_address": device.mac_address, "key": device.key})
    assert response.status_code == 200


def test_patch_key(client, tenants, make):
    device = make.device(tenants.a)
    response = client.patch(detail_url(device.id), headers=tenants.headers_a, json={"key": "NewKey4200000000"})
    assert response.status_code == 200
    assert response.get_json()["key"] == "NewKey4200000000"
    assert fresh(Device, device.id).key == "NewKey4200000000"
    response = client.patch(detail_url(device.id), headers=tenants.headers_a, json={"key": "NewKey42"})
    assert response.status_code == 400
    assert response.get_json() == {"key": [INVALID_KEY]}
    assert fresh(Device, device.id).key == "NewKey4200000000"


def test_patch_group_of_another_org_is_400(client, tenants, make):
    device = make.device(tenants.a)
    group_b = make_group(tenants.b)
    response = client.patch(detail_url(device.id), headers=tenants.headers_super, json={"group": str(group_b.id)})
    assert response.status_code == 400
    assert response.get_json() == {"group": invalid_pk(group_b.id)}
    assert fresh(Device, device.id).group_id is None


def test_patch_group_to_null_ungroups(client, tenants, make):
    group = make_group(tenants.a)
    device = make.device(tenants.a, group_id=group.id)
    response = client.patch(detail_url(device.id), headers=tenants.headers_a, json={"group": None})
    assert response.status_code == 200
    assert response.get_json()["group"] is None
    assert fresh(Device, device.id).group_id is None


def test_patch_organization_to_unmanaged_is_400(client, tenants, make):
    device = make.device(tenants.a)
    response = client.patch(detail_url(device.id), headers=tenants.headers_a,
                            json={"organization": str(tenants.b.id)})
    assert response.status_code == 400
    assert response.get_json() == {"organization": invalid_pk(tenants.b.id)}
    assert fresh(Device, device.id).organization_id == tenants.a.id


def test_changing_organization_drops_the_location(client, tenants, make):
    device = make.device(tenants.a)
    location = make.location(tenants.a)
    client.put(location_url(device.id), headers=tenants.headers_super, json={"location": str(location.id)})
    assert count(DeviceLocation) == 1
    response = client.patch(detail_url(device.id), headers=tenants.headers_super,
                            json={"organization": str(tenants.b.id)})
    assert response.status_code == 200
    assert response.get_json()["organization"] == str(tenants.b.id)
    assert count(DeviceLocation) == 0
    assert fresh(Device, device.id).organization_id == tenants.b.id
    assert client.get(location_url(device.id), headers=tenants.headers_super).status_code == 404
    # now the manager of B has it and the manager of A does not
    assert client.get(detail_url(device.id), headers=tenants.headers_b).status_code == 200
    assert client.get(detail_url(device.id), headers=tenants.headers_a).status_code == 404


def test_sending_the_same_organization_keeps_the_location(client, tenants, make):
    device = make.device(tenants.a)
    location = make.location(tenants.a)
    client.put(location_url(device.id), headers=tenants.headers_a, json={"location": str(location.id)})
    response = client.patch(detail_url(device.id), headers=tenants.headers_a,
                            json={"organization": str(tenants.a.id), "notes": "n"})
    assert response.status_code == 200
    assert fresh(DeviceLocation, device.id).location_id == location.id


def test_changing_organization_keeps_group_only_if_it_moves_too(client, tenants, make):
    group_a = make_group(tenants.a)
    group_b = make_group(tenants.b)
    device = make.device(tenants.a, group_id=group_a.id)
    location = make.location(tenants.a)
    client.put(location_url(device.id), headers=tenants.headers_super, json={"location": str(location.id)})

    response = client.patch(detail_url(device.id), headers=tenants.headers_super,
                            json={"organization": str(tenants.b.id)})
    assert response.status_code == 400
    assert response.get_json() == {"group": invalid_pk(group_a.id)}
    row = fresh(Device, device.id)
    assert row.organization_id == tenants.a.id and row.group_id == group_a.id
    assert count(DeviceLocation) == 1  # a failed change drops nothing

    response = client.patch(detail_url(device.id), headers=tenants.headers_super,
                            json={"organization": str(tenants.b.id), "group": str(group_b.id)})
    assert response.status_code == 200
    assert response.get_json()["group"] == str(group_b.id)
    assert count(DeviceLocation) == 0


def test_changing_organization_checks_uniqueness_in_the_new_org(client, tenants, make):
    make.device(tenants.b, name="clash")
    device = make.device(tenants.a, name="clash")
    response = client.patch(detail_url(device.id), headers=tenants.headers_super,
                            json={"organization": str(tenants.b.id)})
    assert response.status_code == 400
    assert response.get_json() == {"name": ["A device with this name already exists in the organization."]}
    assert fresh(Device, device.id).organization_id == tenants.a.id


def test_patch_ignores_read_only_fields(client, tenants, make):
    device = make.device(tenants.a)
    response = client.patch(detail_url(device.id), headers=tenants.headers_a,
                            json={"is_deactivated": True, "monitoring": {"status": "ok"}, "id": str(uuid.uuid4())})
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == str(device.id)
    assert body["is_deactivated"] is False
    assert body["monitoring"] == {"status": "unknown"}


# --- deactivation and deletion ----------------------------------------------------------

def test_deactivate_and_activate(client, tenants, make):
    device = make.device(tenants.a)
    response = client.post(f"{detail_url(device.id)}deactivate/", headers=tenants.headers_a)
    assert response.status_code == 200
    body = response.get_json()
    assert body["is_deactivated"] is True
    assert body["monitoring"] == {"status": "deactivated"}
    assert body["key"] == device.key
    assert fresh(Device, device.id).is_deactivated is True
    assert fresh(DeviceMonitoring, device.id).status == "deactivated"

    # deactivating twice changes nothing
    again = client.post(f"{detail_url(device.id)}deactivate/", headers=tenants.headers_a)
    assert again.status_code == 200
    assert again.get_json()["monitoring"] == {"status": "deactivated"}

    listed = client.get(URL, headers=tenants.headers_a).get_json()["results"][0]
    assert listed["is_deactivated"] is True and listed["monitoring"] == {"status": "deactivated"}

    response = client.post(f"{detail_url(device.id)}activate/", headers=tenants.headers_a)
    assert response.status_code == 200
    body = response.get_json()
    assert body["is_deactivated"] is False
    assert body["monitoring"] == {"status": "unknown"}
    assert fresh(DeviceMonitoring, device.id).status == "unknown"


def test_activating_an_active_device_keeps_its_status(client, tenants, make):
    device = make.device(tenants.a)
    row = fresh(DeviceMonitoring, device.id)
    row.status = "ok"
    db.session.commit()
    response = client.post(f"{detail_url(device.id)}activate/", headers=tenants.headers_a)
    assert response.status_code == 200
    assert response.get_json()["monitoring"] == {"status": "ok"}


def test_deactivate_routes_accept_post_only(client, tenants, make):
    device = make.device(tenants.a)
    response = client.get(f"{detail_url(device.id)}deactivate/", headers=tenants.headers_a)
    assert response.status_code == 405
    assert fresh(Device, device.id).is_deactivated is False


def test_delete_active_device_is_403_and_keeps_it(client, tenants, make):
    device = make.device(tenants.a)
    response = client.delete(detail_url(device.id), headers=tenants.headers_a)
    assert response.status_code == 403
    assert response.get_json() == {"detail": "Only a deactivated device can be deleted: deactivate it first."}
    assert count(Device) == 1
    assert count(DeviceMonitoring) == 1


def test_delete_deactivated_device(client, tenants, make):
    device_id = make.device(tenants.a).id
    location = make.location(tenants.a)
    client.put(location_url(device_id), headers=tenants.headers_a, json={"location": str(location.id)})
    client.post(f"{detail_url(device_id)}deactivate/", headers=tenants.headers_a)
    response = client.delete(detail_url(device_id), headers=tenants.headers_a)
    assert response.status_code == 204
    assert response.data == b""
    assert count(Device) == 0
    assert count(DeviceMonitoring) == 0
    assert count(DeviceLocation) == 0
    assert fresh(type(location), location.id) is not None
    response = client.get(detail_url(device_id), headers=tenants.headers_a)
    assert response.status_code == 404


# --- where a device is ------------------------------------------------------------------

@pytest.fixture
def placed(make, tenants):
    """A device of A, an indoor location of A with two floorplans, another location of A."""
    device = make.device(tenants.a)
    indoor = make.location(tenants.a, type="indoor")
    ground, first = make_floorplan(indoor, 0), make_floorplan(indoor, 1)
    other_indoor = make.location(tenants.a, type="indoor")
    other_floorplan = make_floorplan(other_indoor, 0)
    return {"device": device, "indoor": indoor, "ground": ground, "first": first,
            "other_floorplan": other_floorplan}


def test_location_is_404_before_it_is_set(client, tenants, placed):
    response = client.get(location_url(placed["device"].id), headers=tenants.headers_a)
    assert response.status_code == 404
    assert response.get_json() == {"detail": "No DeviceLocation matches the given query."}


def test_set_location_with_floorplan_and_indoor_position(client, tenants, placed):
    device, indoor, first = placed["device"], placed["indoor"], placed["first"]
    data = {"location": str(indoor.id), "floorplan": str(first.id), "indoor": " -140.38 , 40.5"}
    response = client.put(location_url(device.id), headers=tenants.headers_a, json=data)
    assert response.status_code == 200
    assert response.get_json() == {"location": str(indoor.id), "floorplan": str(first.id), "indoor": "-140.38,40.5"}
    row = fresh(DeviceLocation, device.id)
    assert (row.location_id, row.floorplan_id, row.indoor) == (indoor.id, first.id, "-140.38,40.5")

    response = client.get(location_url(device.id), headers=tenants.headers_a)
    assert response.status_code == 200
    assert response.get_json() == {"location": str(indoor.id), "floorplan": str(first.id), "indoor": "-140.38,40.5"}


def test_set_location_again_replaces_it(client, tenants, placed, make):
    device = placed["device"]
    url = location_url(device.id)
    client.put(url, headers=tenants.headers_a, json={"location": str(placed["indoor"].id),
                                                      "floorplan": str(placed["ground"].id), "indoor": "1,2"})
    outdoor = make.location(tenants.a)
    response = client.put(url, headers=tenants.headers_a, json={"location": str(outdoor.id)})
    assert response.status_code == 200
    assert response.get_json() == {"location": str(outdoor.id), "floorplan": None, "indoor": None}
    assert count(DeviceLocation) == 1
    row = fresh(DeviceLocation, device.id)
    assert (row.location_id, row.floorplan_id, row.indoor) == (outdoor.id, None, None)


def test_set_location_requires_location(client, tenants, placed):
    response = client.put(location_url(placed["device"].id), headers=tenants.headers_a, json={})
    assert response.status_code == 400
    assert response.get_json() == {"location": ["This field is required."]}
    assert count(DeviceLocation) == 0


def test_location_of_another_org_is_400(client, tenants, placed, make):
    foreign = make.location(tenants.b)
    response = client.put(location_url(placed["device"].id), headers=tenants.headers_super,
                          json={"location": str(foreign.id)})
    assert response.status_code == 400
    assert response.get_json() == {"location": invalid_pk(foreign.id)}
    assert count(DeviceLocation) == 0


def test_unknown_location_is_400(client, tenants, placed):
    missing = uuid.uuid4()
    response = client.put(location_url(placed["device"].id), headers=tenants.headers_a,
                          json={"location": str(missing)})
    assert response.status_code == 400
    assert response.get_json() == {"location": invalid_pk(missing)}


def test_floorplan_of_another_location_is_400(client, tenants, placed):
    data = {"location": str(placed["indoor"].id), "floorplan": str(placed["other_floorplan"].id)}
    response = client.put(location_url(placed["device"].id), headers=tenants.headers_a, json=data)
    assert response.status_code == 400
    assert response.get_json() == {"floorplan": ["The floorplan belongs to another location."]}
    assert count(DeviceLocation) == 0


def test_floorplan_of_another_org_is_400(client, tenants, placed, make):
    foreign = make_floorplan(make.location(tenants.b, type="indoor"))
    data = {"location": str(placed["indoor"].id), "floorplan": str(foreign.id)}
    response = client.put(location_url(placed["device"].id), headers=tenants.headers_super, json=data)
    assert response.status_code == 400
    assert response.get_json() == {"floorplan": invalid_pk(foreign.id)}
    assert count(DeviceLocation) == 0


@pytest.mark.parametrize("indoor", ["abc", "1", "1,2,3", "1;2", ",", "nan,1", "1,inf"])
def test_bad_indoor_position_is_400(client, tenants, placed, indoor):
    data = {"location": str(placed["indoor"].id), "floorplan": str(placed["first"].id), "indoor": indoor}
    response = client.put(location_url(placed["device"].id), headers=tenants.headers_a, json=data)
    assert response.status_code == 400
    assert response.get_json() == {
        "indoor": ['Enter the position on the floorplan as "<y>,<x>", e.g. "-140.38,40.5".'],
    }
    assert count(DeviceLocation) == 0


def test_too_long_indoor_position_is_400(client, tenants, placed):
    data = {"location": str(placed["indoor"].id), "indoor": "1." + "0" * 70 + ",2"}
    response = client.put(location_url(placed["device"].id), headers=tenants.headers_a, json=data)
    assert response.status_code == 400
    assert response.get_json() == {"indoor": ["Longer than maximum length 64."]}
    assert count(DeviceLocation) == 0


@pytest.mark.parametrize("indoor", ["", "  ", None])
def test_empty_indoor_position_is_null(client, tenants, placed, indoor):
    data = {"location": str(placed["indoor"].id), "indoor": indoor}
    response = client.put(location_url(placed["device"].id), headers=tenants.headers_a, json=data)
    assert response.status_code == 200
    assert response.get_json()["indoor"] is None


def test_delete_location(client, tenants, placed):
    device = placed["device"]
    client.put(location_url(device.id), headers=tenants.headers_a, json={"location": str(placed["indoor"].id)})
    response = client.delete(location_url(device.id), headers=tenants.headers_a)
    assert response.status_code == 204
    assert count(DeviceLocation) == 0
    assert client.get(location_url(device.id), headers=tenants.headers_a).status_code == 404
    again = client.delete(location_url(device.id), headers=tenants.headers_a)
    assert again.status_code == 404
    assert again.get_json() == {"detail": "No DeviceLocation matches the given query."}


def test_location_of_device_of_another_org_is_404(client, tenants, make):
    device_b = make.device(tenants.b)
    location_b = make.location(tenants.b)
    response = client.put(location_url(device_b.id), headers=tenants.headers_a, json={"location": str(location_b.id)})
    assert response.status_code == 404
    assert response.get_json() == {"detail": "No Device matches the given query."}
    assert count(DeviceLocation) == 0


def test_location_endpoints_need_a_manager(client, tenants, placed, make):
    url = location_url(placed["device"].id)
    assert client.get(url).status_code == 401
    member = make.user(member_of=[tenants.a])
    response = client.put(url, headers=make.headers(member), json={"location": str(placed["indoor"].id)})
    assert response.status_code == 403
    assert response.get_json() == {"detail": NOT_MANAGER}
    assert count(DeviceLocation) == 0
