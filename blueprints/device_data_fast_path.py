"""The device POST in front of Flask: a WSGI layer that answers the service's busiest
request, a device sending a sample it accepts, without Flask's per-request machinery.

Flask's share of a device POST (request context, routing, the session, argument parsing,
the response object, the hooks around the view) was about a quarter of its Python time.
This layer stores the sample with the view's own code (``store_posted_sample``), gives the
answer the view gives (200, empty JSON body), and records the same request id, metrics and
log line (``RequestRecorder``). It takes only the plain case: a POST to the route, without a
cookie, with a ``Content-Length`` within the limit. Everything else goes straight to Flask.
So does every sample this layer does not store -- a refusal (403, 404, 415, 400, 413), a
database error, anything unexpected -- with the body it sent and with what refused it,
which the view raises again: the answer is the one the view gives, and nothing was
committed. docs/timeseries.md, "The device POST in front of Flask".
"""
from __future__ import annotations

import io
import re
import time
import uuid
from urllib.parse import parse_qsl

from flask import Flask, g
from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_content_length

from blueprints.device_monitoring import DEVICE_DATA_ARGS, LAYER_REFUSAL, store_posted_sample
from monitoring.converters import DevicePkConverter
from monitoring.observability.prometheus_metrics import record_points_written
from monitoring.observability.request_hooks import (
    DEVICE_DATA_RULE,
    RECORDER,
    REQUEST_ID_HEADER,
    RequestRecorder,
    request_id_for,
)


def _path_pattern(rule: str) -> re.Pattern:
    """The paths Flask's router sends to the route ``rule``: its converter's own regex."""
    head, tail = rule.split("<device_pk:pk>")
    return re.compile(f"{re.escape(head)}({DevicePkConverter.regex}){re.escape(tail)}")


PATH = _path_pattern(DEVICE_DATA_RULE)
REQUEST_ID_ENVIRON_KEY = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")


class DeviceDataFastPath:
    def __init__(self, app: Flask, wsgi_app, recorder: RequestRecorder) -> None:
        self.app = app
        self.wsgi_app = wsgi_app  # Flask, for everything this layer does not answer itself
        self.recorder = recorder
        self.max_bytes = app.config["DEVICE_DATA_MAX_BYTES"]

    def __call__(self, environ: dict, start_response):
        match = None
        if environ["REQUEST_METHOD"] == "POST" and "HTTP_COOKIE" not in environ:
            match = PATH.fullmatch(environ.get("PATH_INFO", ""))
        length = match and get_content_length(environ)
        if length is None or length > self.max_bytes:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        body = environ["wsgi.input"].read(length)
        device_id = uuid.UUID(match[1])
        request_id = request_id_for(environ.get(REQUEST_ID_ENVIRON_KEY))
        points = self._store(environ, device_id, body, request_id)
        if points is None:
            environ["wsgi.input"] = io.BytesIO(body)  # read once already
            environ[REQUEST_ID_ENVIRON_KEY] = request_id  # one request, one id, in every line
            return self.wsgi_app(environ, start_response)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "0"),
                                  (REQUEST_ID_HEADER, request_id)])
        record_points_written(points)
        self.recorder.record(
            method="POST", path=environ["PATH_INFO"], query=environ.get("QUERY_STRING", "").encode("latin-1"),
            remote_addr=environ.get("REMOTE_ADDR"), rule=DEVICE_DATA_RULE, view_args={"pk": device_id},
            status=200, request_id=request_id, seconds=time.perf_counter() - started)
        return [b""]

    def _store(self, environ: dict, device_id: uuid.UUID, body: bytes, request_id: str) -> dict | None:
        """The points of the sample, stored and committed; None: not stored, for Flask to
        answer. What refused the sample (every exception ``store_posted_sample`` raises comes
        before the commit, or from it) is left for the view to raise again (``LAYER_REFUSAL``):
        a database that is down or saturated is not asked twice for one sample."""
        try:
            args = DEVICE_DATA_ARGS.load(_first_values(environ.get("QUERY_STRING", "")))
            mimetype = parse_options_header(environ.get("CONTENT_TYPE", ""))[0].lower()
        except Exception:  # noqa: BLE001 -- a query this layer cannot read: Flask reads it its own way
            return None
        with self.app.app_context():
            g.request_id = request_id  # on whatever is logged meanwhile
            try:
                return store_posted_sample(
                    device_id, key=args.get("key"), stream=io.BytesIO(body), content_length=len(body),
                    mimetype=mimetype, time=args.get("time"), current=args.get("current"))
            except Exception as refusal:  # noqa: BLE001 -- answered by Flask, as the view's own
                environ[LAYER_REFUSAL] = refusal
                return None


def _first_values(query_string: str) -> dict[str, str]:
    """The query's parameters as Flask reads them (a parameter given twice: its first
    value), from the WSGI string (bytes as latin-1)."""
    values: dict[str, str] = {}
    for name, value in parse_qsl(query_string.encode("latin-1").decode(), keep_blank_values=True,
                                 errors="werkzeug.url_quote"):
        values.setdefault(name, value)
    return values


def init_app(app: Flask) -> None:
    """Put the layer in front of the application (after ``request_hooks.init_app``, whose
    recorder it uses)."""
    app.wsgi_app = DeviceDataFastPath(app, app.wsgi_app, app.extensions[RECORDER])
