def test_healthz_answers_without_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_readyz_is_503_with_a_reason_when_the_database_is_unreachable(monkeypatch):
    from monitoring import create_app

    class Unreachable:
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere"

    import config

    class BrokenConfig(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = Unreachable.SQLALCHEMY_DATABASE_URI

    app = create_app(BrokenConfig)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert "database unreachable" in body["detail"]


def test_api_requests_answer_503_when_the_database_is_unreachable():
    import config
    from monitoring import create_app

    class BrokenConfig(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere"

    client = create_app(BrokenConfig).test_client()
    response = client.get("/api/v1/controller/device/", headers={"Authorization": "Bearer x"})
    assert response.status_code == 503
    assert response.get_json() == {"detail": "The database is unavailable; try again shortly."}
    assert response.headers["Retry-After"] == "30"
    sample = client.post("/api/v1/monitoring/device/7d6b1c2e-3f0e-4a53-9d0c-0b5e3a6c9f10/?key=k",
                         json={"type": "DeviceMonitoring"})
    assert sample.status_code == 503
