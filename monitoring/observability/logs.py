"""The application's loggers: everything under ``monitoring`` goes to stdout, one line per
record, JSON or text (``LOG_FORMAT``), each carrying the id of the request it belongs to."""
from __future__ import annotations

import logging

from flask import Flask, g, has_app_context

from monitoring.observability.log_format import StdoutHandler, formatter_for


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to records emitted while a request is being handled, so an error
    logged deep in a service can be matched to its request line. Read from the application
    context: the device POST answered in front of Flask has no request context."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_app_context():
            record.request_id = g.get("request_id")
        return True


def configure_logging(app: Flask) -> None:
    """One stdout handler on the application's logger (Flask's ``app.logger`` is named after
    the package, ``monitoring``); records do not propagate to the root logger, so gunicorn's
    or a test runner's handlers never print them twice."""
    logger = logging.getLogger(app.import_name)
    for handler in list(logger.handlers):
        if getattr(handler, "_monitoring", False):
            logger.removeHandler(handler)  # a second app in the same process (tests)
    handler = StdoutHandler()
    handler._monitoring = True
    handler.setFormatter(formatter_for(app.config.get("LOG_FORMAT", "auto")))
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(str(app.config.get("LOG_LEVEL", "info")).upper())
    logger.propagate = False
