"""Per-request bookkeeping: a request id, the request metrics and one log line per request.

Kept cheap because every device POST pays for it: a clock read and an id before the
request; after it, two metric updates on cached label children and one log line
(``bench/request_overhead.py`` measures it).
"""
from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass

from flask import Flask, Response, g, request

from monitoring.observability import prometheus_metrics
from monitoring.observability.log_format import resolve_format
from monitoring.observability.redaction import redact_query
from monitoring.observability.request_log import RequestLog

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is reused only when it is harmless in a header and a log line.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
# The route devices POST their samples to; a test checks it still is a route of the app.
DEVICE_DATA_RULE = "/api/v1/monitoring/device/<device_pk:pk>/"
UNMATCHED = "<unmatched>"  # the endpoint label of requests no route matched (404, redirects)
# app.extensions key of the application's RequestRecorder.
RECORDER = "request_recorder"
# Any other method a client invents is counted as "other": label values must stay few.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))


def request_id_for(incoming: str | None) -> str:
    """The id of a request: the client's own (``X-Request-ID``) when it is harmless in a
    header and a log line, else a new one."""
    return incoming if incoming and VALID_REQUEST_ID.fullmatch(incoming) else new_request_id()


def new_request_id() -> str:
    """128 random bits as 32 hex digits (a uuid4's entropy, without building a UUID)."""
    return os.urandom(16).hex()


def _device_id(view_args: dict | None, rule: str) -> str | None:
    """The device a request is about, when its route names one."""
    if not view_args:
        return None
    if rule == DEVICE_DATA_RULE:
        value = view_args.get("pk")
    elif rule.startswith("/api/v1/controller/device/"):
        value = view_args.get("device_id") or view_args.get("object_id")
    else:
        value = view_args.get("device_id")
    return str(value) if value is not None else None


def _finish(response: Response, *, recorder: RequestRecorder) -> Response:
    # The objects behind the context proxies, looked up once: each proxy access costs a
    # context-variable lookup, and this runs for every request.
    req = request._get_current_object()
    ctx = g._get_current_object()
    started = getattr(ctx, "request_started", None)
    request_id = getattr(ctx, "request_id", None) or new_request_id()
    response.headers[REQUEST_ID_HEADER] = request_id
    url_rule = req.url_rule
    rule = url_rule.rule if url_rule is not None else UNMATCHED
    recorder.record(
        method=req.method, path=req.path, query=req.query_string, remote_addr=req.remote_addr, rule=rule,
        view_args=req.view_args, status=response.status_code, request_id=request_id,
        seconds=time.perf_counter() - started if started is not None else 0.0,
        user_id=getattr(ctx, "auth_user_id", None))
    return response


@dataclass(frozen=True)
class RequestRecorder:
    """The metrics and the log line of an answered request, whichever way it was answered:
    through Flask (after each request) or by the device POST's own path
    (``blueprints/device_data_fast_path.py``)."""

    metrics: bool
    request_log: RequestLog | None

    def record(self, *, method: str, path: str, query: bytes, remote_addr: str | None, rule: str,
               view_args: dict | None, status: int, request_id: str, seconds: float, user_id=None) -> None:
        if self.metrics:
            label_method = method if method in KNOWN_METHODS else "other"
            prometheus_metrics.record_request(method=label_method, endpoint=rule, status=status, seconds=seconds)
            if rule == DEVICE_DATA_RULE and method == "POST":
                prometheus_metrics.record_device_sample(status=status)
        if self.request_log is not None:
            duration_ms = round(seconds * 1000, 2)
            fields = {
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "endpoint": rule,
                "remote_addr": remote_addr,
            }
            if query:
                fields["query"] = redact_query(query.decode("utf-8", "replace"))
            device_id = _device_id(view_args, rule)
            if device_id:
                fields["device_id"] = device_id
            if user_id is not None:
                fields["user_id"] = str(user_id)
            self.request_log.write(message=f"{method} {path} {status} {duration_ms:.1f} ms", request_id=request_id,
                                   fields=fields)


def init_app(app: Flask, *, metrics: bool, log: bool) -> None:
    """Request ids, metrics and log lines for every request Flask answers; the recorder is
    kept in ``app.extensions[RECORDER]`` for the requests answered before Flask (the device
    POST's own path)."""
    # First of the before-request functions: one that raises (a redirect refused, an
    # authentication failure) must not leave the request without its id and start time.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    # Request lines are at INFO: a higher LOG_LEVEL leaves them out.
    if log and logging.getLogger(app.import_name).isEnabledFor(logging.INFO):
        request_log = RequestLog(resolve_format(app.config.get("LOG_FORMAT", "auto")))
    else:
        request_log = None
    recorder = app.extensions[RECORDER] = RequestRecorder(metrics, request_log)

    def finish(response: Response) -> Response:
        return _finish(response, recorder=recorder)

    app.after_request(finish)
