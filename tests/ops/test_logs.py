"""One JSON line per request on stdout, with a request id, and no secrets."""
from __future__ import annotations

import io
import json
import logging

from config import TestConfig
from monitoring import create_app
from monitoring.observability.log_format import JsonFormatter, TextFormatter, formatter_for
from monitoring.observability.redaction import redact_query, without_secrets
from tests.ops.conftest import SAMPLE


def request_lines(output: str) -> list[dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "monitoring.requests"]


def test_a_request_line_has_the_fields(client, capsys, make, superuser):
    device = make.device(make.org())
    headers = make.headers(superuser)
    capsys.readouterr()
    response = client.get(f"/api/v1/controller/device/{device.id}/?format=x", headers=headers)
    assert response.status_code == 200
    [line] = request_lines(capsys.readouterr().out)
    assert line["level"] == "info" and line["time"].endswith("Z")
    assert line["method"] == "GET"
    assert line["path"] == f"/api/v1/controller/device/{device.id}/"
    assert line["query"] == "format=x"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["endpoint"] == "/api/v1/controller/device/<uuid:object_id>/"
    assert line["device_id"] == str(device.id)
    assert line["user_id"] == str(superuser.id)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32


def test_the_request_id_of_the_client_is_kept_when_sane(client, capsys):
    capsys.readouterr()
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.42"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\" with quotes"})
    assert replaced.headers["X-Request-ID"] != "bad id\" with quotes"
    assert len(replaced.headers["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in request_lines(capsys.readouterr().out)]
    assert ids == ["lb-7f3a.42", replaced.headers["X-Request-ID"]]


def test_device_post_line_names_the_device_and_hides_the_key(client, capsys, make):
    device = make.device(make.org())
    capsys.readouterr()
    url = f"/api/v1/monitoring/device/{device.id}/?key={device.key}&time=01-05-2024_10:00:00.000000"
    assert client.post(url, json=SAMPLE).status_code == 200
    assert client.post(f"/api/v1/monitoring/device/{device.id}/?KEY=oops-{device.key}", json=SAMPLE).status_code == 403
    output = capsys.readouterr().out
    assert device.key not in output
    accepted, rejected = request_lines(output)
    assert accepted["device_id"] == str(device.id) and accepted["status"] == 200
    assert accepted["query"] == "key=[redacted]&time=01-05-2024_10:00:00.000000"
    assert rejected["query"] == "KEY=[redacted]" and rejected["status"] == 403


def test_no_password_token_or_cookie_in_logs(client, capsys, make):
    make.user(username="alice", password="pa55-w0rd-secret")
    capsys.readouterr()
    credentials = {"username": "alice", "password": "pa55-w0rd-secret"}
    token = client.post("/api/v1/users/token/", json=credentials).json["token"]
    client.get("/api/v1/controller/device/", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/controller/device/", headers={"Authorization": "Bearer not-a-real-token-xyz"})
    client.get(f"/api/v1/controller/device/?token={token}&password=hunter2")
    client.set_cookie("session", "cookie-value-abc")
    client.get("/healthz")
    output = capsys.readouterr().out
    assert len(request_lines(output)) == 5
    for secret in ("pa55-w0rd-secret", token, "not-a-real-token-xyz", "hunter2", "cookie-value-abc"):
        assert secret not in output


def test_errors_are_logged_with_the_request_id_and_the_traceback(capsys):
    class Served(TestConfig):
        PROPAGATE_EXCEPTIONS = False  # answer 500 as in production instead of raising

    app = create_app(Served)

    @app.get("/boom")
    def boom():
        raise RuntimeError("exploded")

    client = app.test_client()
    capsys.readouterr()
    response = client.get("/boom")
    assert response.status_code == 500
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    error = next(line for line in lines if line["level"] == "error")
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "RuntimeError: exploded" in error["exception"]
    assert lines[-1]["logger"] == "monitoring.requests" and lines[-1]["status"] == 500


def test_request_log_can_be_switched_off(capsys):
    class Quiet(TestConfig):
        LOG_REQUESTS = False

    client = create_app(Quiet).test_client()
    capsys.readouterr()
    assert client.get("/healthz").headers["X-Request-ID"]
    assert capsys.readouterr().out == ""


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_format_is_text_on_a_terminal_and_json_otherwise():
    assert isinstance(formatter_for("auto", FakeTerminal()), TextFormatter)
    assert isinstance(formatter_for("auto", io.StringIO()), JsonFormatter)
    assert isinstance(formatter_for("json", FakeTerminal()), JsonFormatter)
    record = logging.LogRecord("monitoring.requests", logging.INFO, __file__, 1, "GET /x 200 1.0 ms", (), None)
    record.fields = {"method": "GET", "path": "/x", "status": 200, "duration_ms": 1.0, "device_id": "d-1"}
    record.request_id = "r-1"
    text = TextFormatter().format(record)
    assert text.endswith("INFO  monitoring.requests GET /x 200 1.0 ms  request_id=r-1 device_id=d-1")


def test_redaction_keeps_the_query_as_sent_but_the_secret_values():
    # Names are recognised as the application decodes them (k%65y is key).
    assert redact_query("a=1&key=s3cret&b=&Password=x&k%65y=y&time=01-05-2024_10:00:00.000000") == \
        "a=1&key=[redacted]&b=&Password=[redacted]&k%65y=[redacted]&time=01-05-2024_10:00:00.000000"
    assert redact_query("key") == "key=[redacted]"
    assert redact_query("") == ""


def test_links_carrying_the_url_along_drop_the_secrets():
    assert without_secrets("search=ap&key=s3cret&page=2&Token=t") == "search=ap&page=2"
    assert without_secrets("key=s3cret") == ""
