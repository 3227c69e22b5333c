"""``GET /metrics``: the service's Prometheus metrics, for a Prometheus server to scrape.

Not an API operation (kept out of the OpenAPI document). Without ``METRICS_TOKEN`` anyone
may scrape, and gets the process and request metrics only: nothing that names a tenant.
When it is set, a scrape must send it as ``Authorization: Bearer <token>`` (Prometheus'
``authorization`` setting) and also gets the devices by health status per organization.
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
    tenant_collectors = []
    if token:
        _check_token(token)
        # Organization ids and slugs are labels: only for whoever holds the token.
        tenant_collectors.append(DeviceHealthCollector())
    body, content_type = exposition(tenant_collectors)
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
