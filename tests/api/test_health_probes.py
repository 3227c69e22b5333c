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


def _database_gone_after_authentication():
    """An app whose database stops answering once the request's user is loaded: the
    outage begins mid-request, as when the database restarts under load."""
    import psycopg2
    from flask import g, has_request_context
    from sqlalchemy import event

    from monitoring import create_app
    from monitoring.extensions import db

    app = create_app("config.TestConfig")

    def fail_after_authentication(*args):
        if has_request_context() and "auth_user" in g:
            raise psycopg2.OperationalError("server closed the connection unexpectedly")

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", fail_after_authentication)
    return app


def test_a_database_outage_after_authentication_answers_503_with_the_request_logged(make, capsys):
    import json

    user = make.user(superuser=True)
    app = _database_gone_after_authentication()
    headers = make.headers(user)
    capsys.readouterr()
    response = app.test_client().get("/api/v1/controller/device/", headers=headers)
    assert response.status_code == 503
    assert response.get_json() == {"detail": "The database is unavailable; try again shortly."}
    # The request line names the user without asking the database again.
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [logged] = [line for line in lines if line["logger"] == "monitoring.requests"]
    assert logged["status"] == 503 and logged["user_id"] == str(user.id)


def test_a_browser_gets_the_json_503_when_the_database_goes_away(make):
    user = make.user(superuser=True)
    app = _database_gone_after_authentication()
    response = app.test_client().get("/api/v1/controller/device/",
                                     headers={**make.headers(user), "Accept": "text/html"})
    assert response.status_code == 503
    assert response.get_json() == {"detail": "The database is unavailable; try again shortly."}
    assert response.headers["Retry-After"] == "30"


def test_503_when_the_request_session_connection_died_unnoticed(make):
    """The database restarts while a request holds a connection it has not used since: the
    error comes from elsewhere (a fresh connection refused) and undoing the session's work
    then fails on the dead connection too. The answer is still the 503, not a 500."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from monitoring import create_app
    from monitoring.extensions import db

    app = create_app("config.TestConfig")
    with app.test_request_context("/api/v1/monitoring/device/"):
        backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        refused = OperationalError("connect", {}, Exception("server closed the connection unexpectedly"))
        response = app.make_response(app.handle_user_exception(refused))
        assert response.status_code == 503
        assert response.get_json() == {"detail": "The database is unavailable; try again shortly."}
        # The session is usable again once the database is.
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1


def test_a_request_ends_cleanly_when_its_session_connection_died(make):
    """The database restarts after a request used its session (a read, still in its
    transaction): the answer is made, then removing the session at the end of the request
    fails to roll back on the dead connection. That must not turn the answer into a 500."""
    from sqlalchemy import text

    from monitoring import create_app
    from monitoring.extensions import db

    app = create_app("config.TestConfig")
    with app.test_request_context("/api/v1/monitoring/device/"):
        backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        # leaving the block ends the request: the session is removed, its rollback fails
    with app.test_request_context("/api/v1/monitoring/device/"):
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1  # usable again
