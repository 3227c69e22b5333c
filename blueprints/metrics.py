"""``GET /metrics``: the service's Prometheus metrics, for a Prometheus server to scrape.

Not an API operation (kept out of the OpenAPI document). When ``METRICS_TOKEN`` is set, a
scrape must send it as ``Authorization: Bearer <token>`` (Prometheus' ``authorization``
setting); otherwise restrict the path at the reverse proxy if it must not be public.
"""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request

from monitoring import errors
from monitoring.observability.device_health import DeviceHealthCollector
from monitoring.observability.prometheus_metrics import exposition

metrics = Blueprint("metrics", __name__)


def _check_token(expected: str) -> None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        errors.not_authenticated()
    # Constant-time: the answer's timing must not reveal how much of the token matched.
    if not hmac.compare_digest(credentials.strip().encode(), expected.encode()):
        errors.not_authenticated(errors.INVALID_TOKEN)


@metrics.get("/metrics")
def prometheus_metrics():
    if not current_app.config["METRICS_ENABLED"]:
        abort(404)
    token = current_app.config["METRICS_TOKEN"]
    if token:
        _check_token(token)
    body, content_type = exposition([DeviceHealthCollector()])
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
