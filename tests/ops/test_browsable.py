"""The browsable API through the test client: HTML for browsers, JSON for everyone else."""
from __future__ import annotations

import re

import pytest

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
DEVICES = "/api/v1/controller/device/"


def login(client, user, password="secret-pass"):
    token = client.get("/api/v1/auth/login/").text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/api/v1/auth/login/", data={
        "username": user.username, "password": password, "csrf_token": token})
    assert response.status_code == 303


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/json, text/plain, */*",
                                    "text/html;q=0.5, application/json"])
def test_json_clients_are_unaffected(client, make, superuser, accept):
    make.device(make.org())
    headers = make.headers(superuser)
    if accept is not None:
        headers["Accept"] = accept
    response = client.get(DEVICES, headers=headers)
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.json["count"] == 1
    assert "Accept" in response.headers["Vary"]
    assert client.get("/api/v1/nowhere/", headers=headers).json == {"detail": "Not found."}


def test_a_browser_gets_the_list_as_a_page(client, make, superuser):
    org = make.org()
    devices = [make.device(org, name=f"ap-{n:02d}") for n in range(12)]
    login(client, superuser)
    response = client.get(f"{DEVICES}?page_size=5", headers=BROWSER)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    page = response.text
    assert '<h1 id="title">List devices</h1>' in page
    assert "Devices (routers, access points)." in page  # the resource's description
    # Pagination and the filter form from the OpenAPI parameters.
    assert '<span id="count">12 results</span>' in page
    assert 'id="next-page" href="http://localhost/api/v1/controller/device/?page_size=5&amp;page=2"' in page
    for name in ("organization", "group", "search", "page_size"):
        assert f'name="{name}"' in page
    assert 'name="page"' not in page
    assert 'value="5"' in page  # the current page_size fills its field
    # Ids lead to the details, organizations to theirs; the JSON is all there.
    shown = [d for d in devices if f"&#34;{d.id}&#34;" in page]
    assert len(shown) == 5
    for device in shown:
        assert f'href="/api/v1/controller/device/{device.id}/"' in page
    assert f'href="/api/v1/users/organization/{org.id}/"' in page
    # Logged in: the user and a logout button; always a link to Swagger UI.
    assert f'<span id="user">{superuser.username}</span>' in page and 'id="logout"' in page
    assert 'href="/api/v1/docs/"' in page
    assert "Also on this path:" in page and "Create a device" in page
    assert "nonce-" in response.headers["Content-Security-Policy"]


def test_a_browser_gets_the_detail_page(client, make, superuser):
    device = make.device(make.org(), name="ap-lobby")
    login(client, superuser)
    response = client.get(f"{DEVICES}{device.id}/", headers=BROWSER)
    page = response.text
    assert '<h1 id="title">Read a device</h1>' in page
    assert "&#34;ap-lobby&#34;" in page
    assert 'id="filters"' not in page  # no query parameters on a detail
    assert '<a href="/api/v1/controller/device/">device</a>' in page  # breadcrumb up to the list


def test_errors_are_pages_for_browsers(client, make):
    anonymous = client.get(DEVICES, headers=BROWSER)
    assert anonymous.status_code == 401
    assert anonymous.content_type.startswith("text/html")
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert "401 Unauthorized" in anonymous.text
    assert "Authentication credentials were not provided." in anonymous.text
    assert 'href="/api/v1/auth/login/?next=/api/v1/controller/device/"' in anonymous.text

    with_key = client.get(f"{DEVICES}?search=ap&key=device-secret", headers=BROWSER)
    assert "device-secret" not in with_key.text
    assert 'href="/api/v1/auth/login/?next=/api/v1/controller/device/?search%3Dap"' in with_key.text

    missing = client.get("/api/v1/nowhere/", headers=BROWSER)
    assert missing.status_code == 404 and "404 Not Found" in missing.text

    member = make.user(member_of=[make.org()])
    login(client, member)
    forbidden = client.get(DEVICES, headers=BROWSER)
    assert forbidden.status_code == 403 and "User is not a manager" in forbidden.text


def test_values_are_escaped(client, make, superuser):
    device = make.device(make.org(), name="<script>alert(1)</script>", notes='"><img src=x onerror=alert(2)>')
    login(client, superuser)
    page = client.get(f"{DEVICES}{device.id}/", headers=BROWSER).text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # Only http(s) URLs and site paths become links.
    assert not re.search(r'href="(?!/|http)', page)


def test_documents_for_programs_stay_json(client):
    assert client.get("/api/v1/openapi.json", headers=BROWSER).content_type == "application/json"
    assert client.post("/api/v1/users/token/", json={}, headers=BROWSER).content_type == "application/json"


def test_the_browsable_api_can_be_switched_off():
    from config import TestConfig
    from monitoring import create_app

    class Off(TestConfig):
        BROWSABLE_API = False

    response = create_app(Off).test_client().get("/api/v1/controller/device/", headers=BROWSER)
    assert response.status_code == 401 and response.content_type == "application/json"
