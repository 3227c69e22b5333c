"""GET /metrics in one process: request counts by url rule, device samples, database
errors, devices by health status, the optional bearer token; and through gunicorn, what an
anonymous scrape may see."""
from __future__ import annotations

import socket

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.exc import DataError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from config import TestConfig
from monitoring import create_app
from monitoring.extensions import db
from monitoring.observability import prometheus_metrics
from monitoring.observability.request_hooks import DEVICE_DATA_RULE
from tests.ops.conftest import SAMPLE
from tests.ops.metrics_support import samples, value

DEVICE_DETAIL_RULE = "/api/v1/controller/device/<uuid:object_id>/"


class TokenConfig(TestConfig):
    METRICS_TOKEN = "scrape-token-123"


TOKEN_HEADERS = {"Authorization": "Bearer scrape-token-123"}


@pytest.fixture(scope="module")
def token_client():
    return create_app(TokenConfig).test_client()


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.content_type.startswith("text/plain; version=")
    return samples(response.text)


def test_exposition_names_every_family(client, token_client):
    anonymous = client.get("/metrics")
    assert anonymous.headers["Cache-Control"] == "no-store"
    process_families = ("monitoring_http_requests_total", "monitoring_http_request_duration_seconds",
                        "monitoring_device_samples_total", "monitoring_points_written_total",
                        "monitoring_database_errors_total")
    for family in process_families:
        assert f"# TYPE {family.removesuffix('_total')}" in anonymous.text
    assert "monitoring_devices" not in anonymous.text  # per organization: only with the token
    with_token = token_client.get("/metrics", headers=TOKEN_HEADERS)
    for family in (*process_families, "monitoring_devices"):
        assert f"# TYPE {family.removesuffix('_total')}" in with_token.text


def test_requests_are_counted_by_url_rule_not_by_path(client, make, superuser):
    org = make.org()
    first, second = make.device(org), make.device(org)
    headers = make.headers(superuser)
    labels = {"method": "GET", "endpoint": DEVICE_DETAIL_RULE, "status": "200"}
    before = scrape(client)
    for device in (first, second, first):
        assert client.get(f"/api/v1/controller/device/{device.id}/", headers=headers).status_code == 200
    assert client.get(f"/api/v1/controller/device/{org.id}/", headers=headers).status_code == 404
    after = scrape(client)

    assert value(after, "monitoring_http_requests_total", **labels) - \
        value(before, "monitoring_http_requests_total", **labels) == 3
    assert value(after, "monitoring_http_request_duration_seconds_count", **labels) - \
        value(before, "monitoring_http_request_duration_seconds_count", **labels) == 3
    missing = {**labels, "status": "404"}
    assert value(after, "monitoring_http_requests_total", **missing) - \
        value(before, "monitoring_http_requests_total", **missing) == 1
    # No series is labelled with a concrete id.
    assert str(first.id) not in client.get("/metrics").text


def test_unrouted_paths_and_invented_methods_share_one_label(client):
    before = scrape(client)
    for n in range(3):
        assert client.get(f"/no/such/page/{n}").status_code == 404
    assert client.open("/healthz", method="BREW").status_code == 405
    after = scrape(client)
    unmatched = {"method": "GET", "endpoint": "<unmatched>", "status": "404"}
    assert value(after, "monitoring_http_requests_total", **unmatched) - \
        value(before, "monitoring_http_requests_total", **unmatched) == 3
    invented = {"method": "other", "endpoint": "<unmatched>", "status": "405"}
    assert value(after, "monitoring_http_requests_total", **invented) - \
        value(before, "monitoring_http_requests_total", **invented) == 1


def test_device_samples_accepted_and_rejected(app, client, make):
    device = make.device(make.org())
    url = f"/api/v1/monitoring/device/{device.id}/"
    before = scrape(client)
    assert client.post(f"{url}?key={device.key}", json=SAMPLE).status_code == 200
    assert client.post(f"{url}?key=wrong", json=SAMPLE).status_code == 403
    assert client.post(f"{url}?key={device.key}", json={"type": "nonsense"}).status_code == 400
    after = scrape(client)

    def delta(**labels):
        return value(after, "monitoring_device_samples_total", **labels) - \
            value(before, "monitoring_device_samples_total", **labels)

    assert delta(result="accepted", status="200") == 1
    assert delta(result="rejected", status="403") == 1
    assert delta(result="rejected", status="400") == 1
    assert any(rule.rule == DEVICE_DATA_RULE and "POST" in rule.methods for rule in app.url_map.iter_rules())


def test_points_written_counter(client):
    before = scrape(client)
    prometheus_metrics.record_points_written({"traffic_points": [{}, {}], "cpu_points": 1, "disk_points": []})
    after = scrape(client)
    assert value(after, "monitoring_points_written_total", measurement="traffic_points") - \
        value(before, "monitoring_points_written_total", measurement="traffic_points") == 2
    assert value(after, "monitoring_points_written_total", measurement="cpu_points") - \
        value(before, "monitoring_points_written_total", measurement="cpu_points") == 1
    # The counters are per process: earlier tests may have written disk points already.
    disk = ("monitoring_points_written_total", frozenset({("measurement", "disk_points")}))
    assert after.get(disk) == before.get(disk)


def test_devices_by_health_status_per_organization(token_client, make):
    acme, globex, empty = make.org(), make.org(), make.org()
    for status in ("ok", "ok", "critical"):
        make.device(acme).monitoring.status = status
    make.device(globex).monitoring.status = "problem"
    db.session.commit()

    exposition = scrape(token_client, **TOKEN_HEADERS)
    acme_labels = {"organization_id": str(acme.id), "organization": acme.slug}
    assert value(exposition, "monitoring_devices", **acme_labels, status="ok") == 2
    assert value(exposition, "monitoring_devices", **acme_labels, status="critical") == 1
    # Every status is reported, zeros included.
    assert ("monitoring_devices", frozenset({**acme_labels, "status": "unknown"}.items())) in exposition
    assert value(exposition, "monitoring_devices", organization_id=str(globex.id), organization=globex.slug,
                 status="problem") == 1
    assert str(empty.id) not in token_client.get("/metrics", headers=TOKEN_HEADERS).text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_errors_are_counted(client):
    class Unreachable(TokenConfig):
        SQLALCHEMY_DATABASE_URI = f"postgresql+psycopg2://postgres@127.0.0.1:{_closed_port()}/nowhere"

    broken = create_app(Unreachable).test_client()
    before = scrape(client)
    assert broken.get("/readyz").status_code == 503
    # The scrape still answers; only the devices gauge is missing.
    response = broken.get("/metrics", headers=TOKEN_HEADERS)
    assert response.status_code == 200 and "monitoring_http_requests_total" in response.text
    after = scrape(client)
    assert value(after, "monitoring_database_errors_total", kind="OperationalError") - \
        value(before, "monitoring_database_errors_total", kind="OperationalError") == 2


def test_statement_errors_are_counted_with_their_dbapi_class(client, app_context):
    before = scrape(client)
    with pytest.raises(DataError):
        db.session.execute(text("SELECT 1 / 0"))
    db.session.rollback()
    after = scrape(client)
    assert value(after, "monitoring_database_errors_total", kind="DataError") - \
        value(before, "monitoring_database_errors_total", kind="DataError") == 1




def test_bearer_token_protects_metrics_when_configured(token_client):
    missing = token_client.get("/metrics")
    assert missing.status_code == 401
    assert missing.json == {"detail": "Authentication credentials were not provided."}
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = token_client.get("/metrics", headers={"Authorization": "Bearer scrape-token-124"})
    assert wrong.status_code == 401 and wrong.json == {"detail": "Invalid token."}
    right = token_client.get("/metrics", headers={"Authorization": "Bearer scrape-token-123"})
    assert right.status_code == 200 and "monitoring_http_requests_total" in right.text


def test_metrics_can_be_switched_off():
    class Off(TestConfig):
        METRICS_ENABLED = False

    client = create_app(Off).test_client()
    assert client.get("/metrics").status_code == 404


def test_driver_errors_and_pool_timeouts_escaping_a_request_are_counted(client):
    class Served(TestConfig):
        PROPAGATE_EXCEPTIONS = False  # answer 500 as in production instead of raising

    app = create_app(Served)

    @app.get("/raw-division")
    def raw_division():
        # A raw DBAPI cursor, as bulk writes use: SQLAlchemy never sees this error.
        connection = db.engine.raw_connection()
        try:
            connection.cursor().execute("SELECT 1 / 0")
        finally:
            connection.close()

    @app.get("/pool-exhausted")
    def pool_exhausted():
        raise PoolTimeoutError("QueuePool limit reached")

    served = app.test_client()
    before = scrape(client)
    assert served.get("/raw-division").status_code == 500
    assert served.get("/pool-exhausted").status_code == 503  # the database is busy: come back later
    after = scrape(client)
    for kind in ("DataError", "PoolTimeout"):
        assert value(after, "monitoring_database_errors_total", kind=kind) - \
            value(before, "monitoring_database_errors_total", kind=kind) == 1


def test_a_stored_sample_counts_its_points_by_measurement(client, make):
    device = make.device(make.org())
    document = {"type": "DeviceMonitoring", "interfaces": [
        {"name": "eth0", "statistics": {"rx_bytes": 10, "tx_bytes": 5}},
        {"name": "wan", "statistics": {"rx_bytes": 1, "tx_bytes": 1}}],
        "resources": {"load": [0.1, 0.1, 0.1], "cpus": 1}}
    before = scrape(client)
    assert client.post(f"/api/v1/monitoring/device/{device.id}/?key={device.key}", json=document).status_code == 200
    assert client.post(f"/api/v1/monitoring/device/{device.id}/?key=wrong", json=document).status_code == 403
    after = scrape(client)

    def delta(measurement):
        return value(after, "monitoring_points_written_total", measurement=measurement) - \
            value(before, "monitoring_points_written_total", measurement=measurement)

    assert (delta("traffic_points"), delta("cpu_points")) == (2, 1)


# Label names that would tell which tenants exist, and what they have.
TENANT_LABELS = {"organization", "organization_id", "device", "device_id", "location", "location_id", "user"}


def tenant_labels(exposition: dict) -> set[str]:
    return {name for _, labels in exposition for name, _ in labels} & TENANT_LABELS


@pytest.mark.e2e
def test_an_anonymous_scrape_names_no_tenant(start_gunicorn, make):
    """Without METRICS_TOKEN anyone may scrape: process and request metrics only. With it,
    the per-organization series too, to holders of the token only."""
    org = make.org("Secret Customer")
    device = make.device(org, name="ceo-office-ap")
    names = (str(org.id), org.slug, org.name, str(device.id), device.name)

    server = start_gunicorn()
    exposition = requests.get(f"{server.base}/metrics", timeout=10)
    assert exposition.status_code == 200
    assert "monitoring_http_requests_total" in exposition.text
    assert "monitoring_devices" not in exposition.text
    assert tenant_labels(samples(exposition.text)) == set()
    assert not [name for name in names if name in exposition.text]
    server.stop()

    server = start_gunicorn(METRICS_TOKEN="scrape-token-123")
    assert requests.get(f"{server.base}/metrics", timeout=10).status_code == 401
    exposition = requests.get(f"{server.base}/metrics", headers=TOKEN_HEADERS, timeout=10)
    assert exposition.status_code == 200
    assert value(samples(exposition.text), "monitoring_devices", organization_id=str(org.id),
                 organization=org.slug, status="unknown") == 1
