def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Not found."}


def test_wrong_method_is_405_with_allow(client, admin_headers):
    response = client.delete("/api/v1/users/token/", headers=admin_headers)
    assert response.status_code == 405
    assert response.get_json() == {"detail": 'Method "DELETE" not allowed.'}
    assert "POST" in response.headers["Allow"]


def test_missing_trailing_slash_redirects_get_and_404s_writes(client, admin_headers):
    response = client.get("/api/v1/controller/device", headers=admin_headers)
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/api/v1/controller/device/")
    response = client.post("/api/v1/controller/device", headers=admin_headers, json={})
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Not found."}


def test_non_canonical_uuid_in_path_is_404(client, admin_headers):
    response = client.get("/api/v1/controller/device/NOT-A-UUID/", headers=admin_headers)
    assert response.status_code == 404
    upper = "7D6B1C2E-3F0E-4A53-9D0C-0B5E3A6C9F10"
    assert client.get(f"/api/v1/controller/device/{upper}/", headers=admin_headers).status_code == 404


def test_openapi_document_declares_security_schemes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["deviceKey"]["in"] == "query" and schemes["deviceKey"]["name"] == "key"
    assert "/api/v1/controller/device/" in spec["paths"]


def test_swagger_ui_is_served_from_local_assets(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html
    assert "//cdn" not in html and "unpkg" not in html
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    asset.close()
    assert client.get("/api/v1/docs/assets/swagger-ui.css").status_code == 200


def test_nul_characters_in_a_body_are_a_400_not_a_server_error(client, make, admin_headers):
    from sqlalchemy import func, select

    from monitoring.extensions import db
    from monitoring.models import DeviceGroup

    org = make.org()
    response = client.post("/api/v1/controller/group/", headers=admin_headers,
                           json={"organization": str(org.id), "name": "a\u0000b"})
    assert response.status_code == 400
    assert response.get_json() == {"name": ["Null characters are not allowed."]}
    assert db.session.scalar(select(func.count()).select_from(DeviceGroup)) == 0
