"""Wiring the observability pieces into an application (called by ``create_app``)."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_logging(app: Flask) -> None:
    from flask.logging import default_handler

    from monitoring.observability.logs import configure_logging

    configure_logging(app)
    app.logger.removeHandler(default_handler)  # ours prints every record already


def init_app(app: Flask) -> None:
    """Request ids, request metrics and log lines, database error counting."""
    from monitoring.extensions import db
    from monitoring.observability import database_errors, request_hooks

    metrics = app.config["METRICS_ENABLED"]
    request_hooks.init_app(app, metrics=metrics, log=app.config["LOG_REQUESTS"])
    if metrics:
        with app.app_context():
            database_errors.init_app(app, db.engines.values())


def trust_proxies(app: Flask) -> None:
    """The reverse-proxy headers to trust (``TRUSTED_PROXY_COUNT``), read before anything
    else sees the request: the outermost layer of the application."""
    hops = app.config["TRUSTED_PROXY_COUNT"]
    if hops:
        # Client address, scheme, host and path prefix as the proxies in front saw them:
        # pagination links and redirects then point at the public URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
