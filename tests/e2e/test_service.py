"""The wiring through a real gunicorn: probes, the superuser command, a token, and the
management calls of the README, as a new user would make them."""
import pytest
import requests

pytestmark = pytest.mark.e2e


def test_probes(server):
    assert requests.get(f"{server}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{server}/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


def test_readme_walkthrough(server, flask_cli):
    created = flask_cli("create-superuser", "--username", "admin", "--password", "admin-pass-1",
                        "--email", "admin@example.com")
    assert created.returncode == 0, created.stderr
    assert "created superuser admin" in created.stdout
    again = flask_cli("create-superuser", "--username", "admin", "--password", "admin-pass-2")
    assert again.returncode == 0 and "updated superuser admin" in again.stdout

    refused = requests.post(f"{server}/api/v1/users/token/",
                            json={"username": "admin", "password": "admin-pass-1"}, timeout=5)
    assert refused.status_code == 400
    token = requests.post(f"{server}/api/v1/users/token/",
                          json={"username": "admin", "password": "admin-pass-2"}, timeout=5).json()["token"]
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"

    org = http.post(f"{server}/api/v1/users/organization/", json={"name": "ACME Networks"}, timeout=5)
    assert org.status_code == 201, org.text
    org_id = org.json()["id"]
    assert org.json()["slug"] == "acme-networks"

    device = http.post(f"{server}/api/v1/controller/device/", json={
        "name": "ap-lobby", "mac_address": "00-11-22-AA-BB-CC", "organization": org_id,
    }, timeout=5)
    assert device.status_code == 201, device.text
    device_body = device.json()
    assert device_body["mac_address"] == "00:11:22:aa:bb:cc"
    assert len(device_body["key"]) == 32
    assert device_body["monitoring"] == {"status": "unknown"}

    location = http.post(f"{server}/api/v1/controller/location/", json={
        "organization": org_id, "name": "HQ", "type": "outdoor",
        "geometry": {"type": "Point", "coordinates": [12.4924, 41.8902]},
    }, timeout=5)
    assert location.status_code == 201, location.text
    placed = http.put(f"{server}/api/v1/controller/device/{device_body['id']}/location/",
                      json={"location": location.json()["id"]}, timeout=5)
    assert placed.status_code == 200 and placed.json()["location"] == location.json()["id"]

    # Several workers answer: every one of them sees the same data.
    for _ in range(6):
        listing = http.get(f"{server}/api/v1/controller/device/", timeout=5).json()
        assert listing["count"] == 1 and "key" not in listing["results"][0]


def test_errors_are_json_through_gunicorn(server):
    missing = requests.get(f"{server}/api/v1/does-not-exist/", timeout=5)
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
    anonymous = requests.get(f"{server}/api/v1/controller/device/", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    docs = requests.get(f"{server}/api/v1/docs/", timeout=5)
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
