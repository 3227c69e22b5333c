"""GET /api/v1/monitoring/device/{pk}/metric/: a device's metrics with their health, the
``is_healthy`` filter (docs/api.md §15.2 booleans) and its access rules."""
from __future__ import annotations

import uuid

import pytest

from tests.charts.support import add_metric


@pytest.fixture
def device(make, org):
    device = make.device(org)
    add_metric(device, "cpu", is_healthy=True)
    add_metric(device, "disk", is_healthy=False)
    add_metric(device, "traffic", ifname="eth0", name="eth0 traffic")
    return device


def url(device_id):
    return f"/api/v1/monitoring/device/{device_id}/metric/"


def test_items(client, make, org, device):
    response = client.get(url(device.id), headers=make.headers(make.user(manages=[org])))
    assert response.status_code == 200
    body = response.get_json()
    assert sorted(body, key=lambda item: item["name"]) == body
    assert [{key: item[key] for key in ("name", "key", "is_healthy")} for item in body] == [
        {"name": "CPU usage", "key": "cpu", "is_healthy": True},
        {"name": "Disk usage", "key": "disk", "is_healthy": False},
        {"name": "eth0 traffic", "key": "traffic", "is_healthy": None},
    ]
    assert all(set(item) == {"id", "name", "key", "is_healthy"} for item in body)
    assert uuid.UUID(body[0]["id"])


@pytest.mark.parametrize(("value", "expected"), [
    ("true", ["CPU usage"]), ("1", ["CPU usage"]), ("TRUE", ["CPU usage"]), ("yes", ["CPU usage"]),
    ("maybe", ["CPU usage"]),  # any other non-empty value is true (docs/api.md §15.2)
    ("false", ["Disk usage"]), ("0", ["Disk usage"]), ("False", ["Disk usage"]), ("off", ["Disk usage"]),
    ("", ["CPU usage", "Disk usage", "eth0 traffic"]),
])
def test_is_healthy_filter(client, make, device, value, expected):
    headers = make.headers(make.user(superuser=True))
    body = client.get(url(device.id) + f"?is_healthy={value}", headers=headers).get_json()
    assert [item["name"] for item in body] == expected


def test_a_device_whose_metrics_are_all_healthy(client, make, org):
    device = make.device(org)
    add_metric(device, "cpu", is_healthy=True)
    headers = make.headers(make.user(superuser=True))
    assert client.get(url(device.id) + "?is_healthy=false", headers=headers).get_json() == []


def test_access(client, make, org, device):
    response = client.get(url(device.id))
    assert response.status_code == 401
    member = make.headers(make.user(member_of=[org]))
    response = client.get(url(device.id), headers=member)
    assert response.status_code == 403
    assert response.get_json() == {
        "detail": "User is not a manager of the organization to which the requested resource belongs."}
    outsider = make.headers(make.user(manages=[make.org()]))
    for device_id in (device.id, uuid.uuid4()):
        response = client.get(url(device_id), headers=outsider)
        assert response.status_code == 404
        assert response.get_json() == {"detail": "Not found."}
    # a superuser reads any device's metrics, even in a disabled organization
    hidden = make.device(make.org(is_active=False))
    add_metric(hidden, "cpu")
    superuser = make.headers(make.user(superuser=True))
    assert [item["name"] for item in client.get(url(hidden.id), headers=superuser).get_json()] == ["CPU usage"]
    # only canonical ids route here
    assert client.get(url(device.id.hex), headers=superuser).status_code == 404
