"""Counting database errors wherever they come from.

- Through SQLAlchemy (queries, connects, commits): the engine's ``handle_error`` event, which
  also sees errors that a service catches and turns into a 400 (an IntegrityError).
- Through a raw psycopg2 cursor (bulk inserts bypass SQLAlchemy): when the error escapes the
  request, Flask's ``got_request_exception`` signal.
- No free connection in the pool within ``DB_POOL_TIMEOUT``: also when it escapes a request.
"""
from __future__ import annotations

import psycopg2
from flask import Flask, got_request_exception
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from monitoring.observability.prometheus_metrics import record_database_error

# The DB-API exception classes (PEP 249); a driver's subclass is reported as the class it
# derives from, which keeps the label values few.
DBAPI_CLASSES = (
    "IntegrityError", "OperationalError", "ProgrammingError", "DataError", "InternalError",
    "NotSupportedError", "InterfaceError", "DatabaseError", "Error",
)


def dbapi_kind(error: BaseException) -> str:
    for cls in type(error).__mro__:
        if cls.__name__ in DBAPI_CLASSES:
            return cls.__name__
    return "other"


def reason(error: BaseException) -> str:
    """The first line of the driver's message ("connection refused"…), for logs and the
    readiness probe; SQLAlchemy's wrapper adds the statement and a link."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _count_engine_error(context: ExceptionContext) -> None:
    record_database_error(dbapi_kind(context.original_exception))


def count_request_error(exception: BaseException) -> None:
    """Count an error that ended a request and that the engine's event did not see: a raw
    cursor's driver error, or no free connection. Called for unhandled errors, and by the
    503 handler for the ones it answers."""
    if isinstance(exception, psycopg2.Error):
        record_database_error(dbapi_kind(exception))
    elif isinstance(exception, PoolTimeoutError):
        record_database_error("PoolTimeout")


def _count_request_error(sender, exception: BaseException, **extra) -> None:
    count_request_error(exception)


def init_app(app: Flask, engines) -> None:
    for engine in engines:
        if not event.contains(engine, "handle_error", _count_engine_error):
            event.listen(engine, "handle_error", _count_engine_error)
    got_request_exception.connect(_count_request_error, app, weak=False)
