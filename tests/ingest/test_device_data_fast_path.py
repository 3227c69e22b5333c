"""The device POST answered in front of Flask (blueprints/device_data_fast_path.py): a sample
it stores gets the answer, metrics and log line Flask would give; everything else reaches
Flask with its body (a refused sample with what refused it, which the view raises again),
and is answered as before."""
from __future__ import annotations

import json

import pytest

from blueprints.device_data_fast_path import DeviceDataFastPath
from config import TestConfig
from monitoring import create_app
from tests.ingest.test_device_samples import RESOURCES, count, post, sample, url
from tests.ops.metrics_support import samples, value

BODY = json.dumps(sample(resources=RESOURCES))


@pytest.fixture
def flask_calls(app, monkeypatch):
    """The requests the layer handed on to Flask (their paths), in order."""
    fast_path = app.wsgi_app
    assert isinstance(fast_path, DeviceDataFastPath)
    calls = []
    flask = fast_path.wsgi_app

    def counted(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return flask(environ, start_response)

    monkeypatch.setattr(fast_path, "wsgi_app", counted)
    return calls


def test_a_sample_it_stores_never_reaches_flask(client, device, flask_calls):
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200
    assert flask_calls == []
    assert count("cpu_points", device) == 1


def test_the_answer_is_the_one_flask_gives(client, device, flask_calls):
    fast = client.post(url(device, time="01-05-2024_10:00:00.000000"), data=BODY, content_type="application/json",
                       headers={"X-Request-ID": "lb-1"})
    # A cookie sends the request to Flask (browser sessions are Flask's business).
    client.set_cookie("unrelated", "1")
    slow = client.post(url(device, time="01-05-2024_10:05:00.000000"), data=BODY, content_type="application/json",
                       headers={"X-Request-ID": "lb-2"})
    assert len(flask_calls) == 1
    assert (fast.status, fast.data) == (slow.status, slow.data) == ("200 OK", b"")
    assert [(name, value) for name, value in fast.headers if name != "X-Request-ID"] == \
           [(name, value) for name, value in slow.headers if name != "X-Request-ID"]
    assert (fast.headers["X-Request-ID"], slow.headers["X-Request-ID"]) == ("lb-1", "lb-2")
    assert count("cpu_points", device) == 2


@pytest.mark.parametrize("name, params, document, status", [
    ("wrong key", {"key": "wrong"}, BODY, 403),
    ("no JSON", {}, "{not json", 400),
    ("schema error", {}, json.dumps({"type": "DeviceMonitoring", "interfaces": "eth0"}), 400),
    ("bad time", {"time": "yesterday"}, BODY, 400),
])
def test_a_refused_sample_gets_flasks_answer(client, device, flask_calls, name, params, document, status):
    response = client.post(url(device, **params), data=document, content_type="application/json")
    assert response.status_code == status, name
    assert flask_calls == [f"/api/v1/monitoring/device/{device.id}/"]
    assert count("cpu_points", device) == 0
    if name == "schema error":  # the refusal the body earned, named by its field
        assert "interfaces" in response.get_data(as_text=True)


def test_a_body_of_another_type_is_refused_by_flask(client, device, flask_calls):
    response = client.post(url(device), data=BODY, content_type="text/plain")
    assert response.status_code == 415
    assert flask_calls


def test_requests_it_does_not_take_go_to_flask_untouched(client, device, flask_calls):
    # Upper-case id: no route (the reference's 404); GET: the detail; no Content-Length (chunked).
    assert client.post(url(device).replace(str(device.id), str(device.id).upper()), data=BODY,
                       content_type="application/json").status_code == 404
    assert client.get(url(device)).status_code == 200
    chunked = client.post(url(device), data=BODY, content_type="application/json",
                          headers={"Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})  # as gunicorn passes it
    assert chunked.status_code == 200
    assert len(flask_calls) == 3
    assert count("cpu_points", device) == 1


def test_too_large_a_body_is_refused_by_flask_without_being_read(client, device, flask_calls, app):
    limit = app.config["DEVICE_DATA_MAX_BYTES"]
    response = client.post(url(device), data=b" " * (limit + 1), content_type="application/json")
    assert response.status_code == 413
    assert flask_calls


def test_the_id_without_dashes_and_a_repeated_parameter_are_read_as_flask_reads_them(client, device, flask_calls):
    path = f"/api/v1/monitoring/device/{device.id.hex}/"
    # Flask takes a parameter's first value: the good key here, the wrong one below.
    ok = client.post(f"{path}?key={device.key}&key=wrong", data=BODY, content_type="application/json")
    refused = client.post(f"{path}?key=wrong&key={device.key}", data=BODY, content_type="application/json")
    assert (ok.status_code, refused.status_code) == (200, 403)
    assert flask_calls == [path]


def test_current_and_time_are_read_as_the_view_reads_them(client, device, flask_calls):
    assert post(client, device, sample(resources=RESOURCES), time="01-05-2024_10:05:00.000000").status_code == 200
    # Older and sent as current: it becomes the snapshot.
    assert post(client, device, sample(resources=RESOURCES), time="01-05-2024_10:00:00.000000",
                current="TRUE").status_code == 200
    assert flask_calls == []
    from tests.ingest.test_device_samples import rows

    [(sample_time,)] = rows("SELECT sample_time FROM device_data WHERE device_id = :d", d=device.id)
    assert sample_time.isoformat() == "2024-05-01T10:00:00+00:00"


def test_its_requests_are_counted_like_flasks(client, device, flask_calls):
    before = samples(client.get("/metrics").text)
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200
    assert flask_calls == ["/metrics"]
    after = samples(client.get("/metrics").text)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("monitoring_http_requests_total", method="POST", status="200",
                 endpoint="/api/v1/monitoring/device/<device_pk:pk>/") == 1
    assert delta("monitoring_device_samples_total", result="accepted", status="200") == 1
    assert delta("monitoring_points_written_total", measurement="cpu_points") == 1


class ProxiedConfig(TestConfig):
    TRUSTED_PROXY_COUNT = 1


def test_its_log_line_is_flasks_with_the_client_a_trusted_proxy_names(device, capsys, app):
    client = create_app(ProxiedConfig).test_client()

    def logged(**headers) -> dict:
        capsys.readouterr()
        response = client.post(url(device), data=BODY, content_type="application/json",
                               headers={"X-Forwarded-For": "203.0.113.7", **headers})
        assert response.status_code == 200
        [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()
                  if '"monitoring.requests"' in text]
        assert line["request_id"] == response.headers["X-Request-ID"]
        # What differs between two requests: when, how long, which.
        return {name: value for name, value in line.items()
                if name not in ("time", "duration_ms", "message", "request_id")} | {
            "message": line["message"].rsplit(" ", 2)[0]}

    fast = logged()
    slow = logged(Cookie=f"{app.config['SESSION_COOKIE_NAME']}=x")  # a cookie: answered by Flask
    assert fast == slow
    assert fast["remote_addr"] == "203.0.113.7"
    assert fast["endpoint"] == "/api/v1/monitoring/device/<device_pk:pk>/"
    assert fast["device_id"] == str(device.id)
    assert "key=" in fast["query"] and device.key not in fast["query"]


@pytest.fixture
def sample_transactions(monkeypatch):
    """How many times a sample's transaction was begun."""
    from monitoring.services.ingest import samples

    begun = []
    original = samples.begun_sample

    def counted(device_id):
        begun.append(device_id)
        return original(device_id)

    monkeypatch.setattr(samples, "begun_sample", counted)
    return begun


def test_a_refusal_is_flasks_answer_without_a_second_try(client, device, flask_calls, sample_transactions):
    assert post(client, device, sample(), key="wrong").status_code == 403
    assert flask_calls and len(sample_transactions) == 1


def test_a_database_failure_is_answered_once_without_a_second_try(client, device, flask_calls, monkeypatch):
    """Down or saturated, the database must not be asked twice per sample: that would double
    the wait a device sees before its 503, and the load on a database coming back."""
    import psycopg2

    from monitoring.services.ingest import samples

    attempts = []

    def unavailable(device_id):
        attempts.append(device_id)
        raise psycopg2.OperationalError("connection refused")

    monkeypatch.setattr(samples, "begun_sample", unavailable)
    response = post(client, device, sample())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert flask_calls and len(attempts) == 1


def test_a_refused_sample_keeps_one_request_id_from_the_layer_to_flasks_answer(client, device, monkeypatch):
    """What is logged while the layer tries a sample carries the id Flask then answers with."""
    from flask import g
    from flask_smorest import abort

    from monitoring.services.ingest import samples

    seen = []

    def refused(device_id):
        seen.append(g.request_id)
        abort(404, message="Not found.")

    monkeypatch.setattr(samples, "begun_sample", refused)
    response = post(client, device, sample())
    assert response.status_code == 404
    assert seen == [response.headers["X-Request-ID"]]
