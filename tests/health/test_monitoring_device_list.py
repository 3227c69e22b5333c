"""GET /api/v1/monitoring/device/: devices with their health status, by name, with the
reference's filters and their errors; tenancy; no keys in lists."""
from __future__ import annotations

import uuid

import pytest

from monitoring.extensions import db
from monitoring.models import DeviceMonitoring

URL = "/api/v1/monitoring/device/"
INVALID_ORGANIZATION = {"organization": ["Select a valid choice. That choice is not one of the available choices."]}


@pytest.fixture
def orgs(make):
    return make.org(), make.org()


@pytest.fixture
def devices(make, orgs):
    first, second = orgs
    made = {
        "beta": make.device(first, name="beta"),
        "alpha": make.device(first, name="alpha"),
        "Zulu": make.device(first, name="Zulu"),
        "gamma": make.device(second, name="gamma"),
    }
    for name, status in (("beta", "ok"), ("alpha", "problem"), ("gamma", "critical")):
        db.session.get(DeviceMonitoring, made[name].id).status = status
    db.session.commit()
    return made


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["results"]]


def test_access(client, make, orgs, devices):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    member = make.headers(make.user(member_of=[orgs[0]]))
    response = client.get(URL + "?monitoring__status=bad", headers=member)
    assert response.status_code == 403
    assert response.get_json() == {
        "detail": "User is not a manager of the organization to which the requested resource belongs."}
    assert client.post(URL, headers=make.headers(make.user(superuser=True)), json={}).status_code == 405


def test_a_manager_lists_the_managed_organizations_devices_by_name(client, make, orgs, devices):
    headers = make.headers(make.user(manages=[orgs[0]]))
    response = client.get(URL, headers=headers)
    assert names(response) == ["Zulu", "alpha", "beta"]  # by name, as the database orders it
    item = response.get_json()["results"][1]
    assert set(item) == {"id", "name", "organization", "group", "mac_address", "last_ip", "management_ip", "model",
                         "os", "system", "notes", "config", "monitoring", "created", "modified"}
    assert "key" not in item  # lists never show device keys
    assert item["monitoring"] == {"status": "problem", "in_maintenance": False, "problems": []}
    assert item["config"] is None
    assert item["organization"] == str(orgs[0].id)


def test_a_superuser_lists_every_device(client, make, devices):
    disabled = make.org(is_active=False)
    make.device(disabled, name="hidden")
    headers = make.headers(make.user(superuser=True))
    assert names(client.get(URL, headers=headers)) == ["Zulu", "alpha", "beta", "gamma", "hidden"]


def test_status_filter(client, make, orgs, devices):
    headers = make.headers(make.user(superuser=True))
    assert names(client.get(URL + "?monitoring__status=critical", headers=headers)) == ["gamma"]
    assert names(client.get(URL + "?monitoring__status=unknown", headers=headers)) == ["Zulu"]
    assert names(client.get(URL + "?monitoring__status=", headers=headers)) == ["Zulu", "alpha", "beta", "gamma"]
    response = client.get(URL + "?monitoring__status=broken", headers=headers)
    assert response.status_code == 400
    assert response.get_json() == {
        "monitoring__status": ["Select a valid choice. broken is not one of the available choices."]}


def test_organization_filters(client, make, orgs, devices):
    first, second = orgs
    manager = make.headers(make.user(manages=[first]))
    assert names(client.get(URL + f"?organization={first.id}", headers=manager)) == ["Zulu", "alpha", "beta"]
    for value in (second.id, uuid.uuid4(), "not-a-uuid"):
        response = client.get(URL + f"?organization={value}", headers=manager)
        assert response.status_code == 400
        assert response.get_json() == INVALID_ORGANIZATION
    superuser = make.headers(make.user(superuser=True))
    assert names(client.get(URL + f"?organization={second.id}", headers=superuser)) == ["gamma"]
    assert client.get(URL + f"?organization={uuid.uuid4()}", headers=superuser).get_json() == INVALID_ORGANIZATION
    assert names(client.get(URL + f"?organization_slug={second.slug}", headers=superuser)) == ["gamma"]
    assert names(client.get(URL + f"?organization_slug={second.slug}", headers=manager)) == []
    assert names(client.get(URL + "?organization_slug=no-such-org", headers=superuser)) == []


def test_pagination(client, make, orgs, devices):
    headers = make.headers(make.user(superuser=True))
    body = client.get(URL + "?page_size=2&monitoring__status=", headers=headers).get_json()
    assert body["count"] == 4
    assert [item["name"] for item in body["results"]] == ["Zulu", "alpha"]
    assert body["next"] == "http://localhost/api/v1/monitoring/device/?page_size=2&monitoring__status=&page=2"
    assert body["previous"] is None
    assert client.get(URL + "?page=3&page_size=2", headers=headers).status_code == 404
