"""Extension objects, created unbound and initialised by ``create_app``.

The API and Blueprint subclasses hold the cross-cutting HTTP behaviour: JSON error bodies
in the ``{"detail": ...}`` shape, and 400 (not webargs' 422) for invalid parameters.
"""
from __future__ import annotations

from datetime import datetime
from http import HTTPStatus

import psycopg2
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import jsonify, request
from flask_migrate import Migrate
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import DateTime, MetaData
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.orm import DeclarativeBase, registry
from webargs.flaskparser import FlaskParser
from webargs.flaskparser import abort as webargs_abort
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from monitoring.database import READ_CONNECTION, Session
from monitoring.netjson import MAX_NESTING_DEPTH, nested_deeper_than
from schemas.common import ErrorSchema

# Stable constraint names make Alembic migrations reproducible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

class Base(DeclarativeBase):
    # Every timestamp is an absolute instant (timestamptz), never a wall-clock time.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
csrf = CSRFProtect()


def rollback_session() -> None:
    """Undo the session's uncommitted work after a database error. When the database went
    away, the session's own connection may be dead without the session knowing yet (the
    error came from another connection): the rollback then fails on it, SQLAlchemy discards
    that connection, and there is nothing left to undo."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass


def remove_session(exception: BaseException | None = None) -> None:
    """End the request's session (a teardown, before Flask-SQLAlchemy's own). When the
    database went away after the session was used, closing it fails to roll back on the dead
    connection; the answer is made already, SQLAlchemy has discarded that connection, and
    nothing is left to undo: that must not turn the answer into a 500. The replica
    connection the request read from, if any (``monitoring/replicas.py``), goes back to its
    pool after the session that used it."""
    read_connection = db.session().info.pop(READ_CONNECTION, None) if db.session.registry.has() else None
    try:
        db.session.remove()
    except SQLAlchemyError:
        db.session.registry.clear()
    if read_connection is not None:
        try:
            read_connection.close()
        except SQLAlchemyError:
            pass


class ArgumentsParser(FlaskParser):
    """webargs parser answering 400 for invalid input, as the reference API does.

    Every JSON body a view reads comes through here: a body nested deeper than any request
    needs is refused at once, before the schemas (some of which walk values recursively)
    see it. Python's parser itself gives up on a few hundred levels with RecursionError,
    which is the same bad input."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        try:
            document = super()._raw_load_json(req)
            too_deep = isinstance(document, dict | list) and nested_deeper_than(document, MAX_NESTING_DEPTH)
        except RecursionError:
            too_deep = True
        if too_deep:
            # In the shape of webargs' own answer to malformed JSON.
            message = f"Invalid JSON body: nested more than {MAX_NESTING_DEPTH} levels deep."
            webargs_abort(400, messages={"json": [message]})
        return document


class Blueprint(_Blueprint):
    ARGUMENTS_PARSER = ArgumentsParser()
    # webargs' "json_or_form" reads a JSON body, else the form fields. OpenAPI has no such
    # parameter location: it is documented as a JSON request body (see body_arguments).
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **_Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING, "json_or_form": "application/json",
    }

    def body_arguments(self, schema, *, files: dict[str, str] | None = None):
        """Parse the request body with ``schema``: a JSON body or, when ``files`` names upload
        fields (``{name: description}``), also multipart/form-data with the schema's fields
        beside those files (which the view reads from ``request.files``). The document
        describes each content type the body may have."""
        if not files:
            return self.arguments(schema)
        uploads = {name: {"type": "string", "format": "binary", "description": description}
                   for name, description in files.items()}
        multipart = {"allOf": [schema, {"type": "object", "properties": uploads}]}
        parse = self.arguments(schema, location="json_or_form")
        describe = self.doc(requestBody={"content": {"multipart/form-data": {"schema": multipart}}})
        return lambda view: describe(parse(view))


def flatten_validation_messages(messages: dict) -> dict:
    """webargs keys messages by location ({"query": {"field": [...]}}); clients expect
    them keyed by field only."""
    flat: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            flat.update(location_messages)
        else:  # pragma: no cover - webargs always nests by location
            flat.setdefault("non_field_errors", []).extend(location_messages)
    return flat


def error_response(error: HTTPException):
    """Render any HTTP error as JSON, keeping the headers it carries (Allow, WWW-Authenticate)."""
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # webargs validation failure
        body = flatten_validation_messages(data["messages"])
    elif "body" in data:
        body = data["body"]
    elif isinstance(error, MethodNotAllowed):
        body = {"detail": f'Method "{request.method}" not allowed.'}
    else:
        body = {"detail": data.get("message") or _default_detail(error)}
    response = jsonify(body)
    response.status_code = error.code or 500
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def _default_detail(error: HTTPException) -> str:
    defaults = {
        401: "Authentication credentials were not provided.",
        403: "You do not have permission to perform this action.",
        404: "Not found.",
        500: "A server error occurred.",
    }
    return defaults.get(error.code or 500, error.description or error.name)


def schema_name(schema) -> str:
    """OpenAPI component name: ``DeviceSchema`` -> ``Device``, a partial (PATCH) body
    ``DevicePartial``, so both can be documented side by side."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    if getattr(schema, "partial", False):
        name += "Partial"
    return name


# What a 400 carries: messages keyed by the invalid field (lists, or nested objects for
# nested fields), or a single "detail" for errors not tied to one field.
BAD_REQUEST_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"oneOf": [{"type": "array", "items": {}}, {"type": "object"}]},
    "example": {"name": ["This field is required."]},
}


class Api(_Api):
    def handle_http_exception(self, error):
        return error_response(error)

    def _register_responses(self):
        """flask-smorest documents every error with ERROR_SCHEMA; a 400 is documented with
        the shape it really has (field-keyed messages)."""
        for status in HTTPStatus:
            response = {"description": status.phrase}
            if status == HTTPStatus.BAD_REQUEST:
                response["schema"] = BAD_REQUEST_SCHEMA
            elif not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def make_api() -> Api:
    Api.ERROR_SCHEMA = ErrorSchema
    return Api(spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name)})


api = make_api()


def register_error_handlers(app) -> None:
    """JSON for errors Flask raises outside flask-smorest's reach (CSRF, routing, database)."""
    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        response = jsonify({"detail": f"CSRF Failed: {error.description}"})
        response.status_code = 403
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(psycopg2.OperationalError)
    @app.errorhandler(SQLAlchemyTimeoutError)
    def database_unavailable(error: Exception):
        """The database is down or saturated: tell the client to come back (devices retry),
        promptly and in JSON, instead of a 500. Nothing was committed."""
        # Imported here, not at the top: every module imports this one, and prometheus_client
        # (behind the metrics) must not be imported before PROMETHEUS_MULTIPROC_DIR is set
        # (see monitoring/observability/__init__.py).
        from monitoring.observability.database_errors import count_request_error

        count_request_error(error)
        rollback_session()
        response = jsonify({"detail": "The database is unavailable; try again shortly."})
        response.status_code = 503
        response.headers["Retry-After"] = "30"
        return response

    @app.before_request
    def no_redirect_for_writes():
        # A path without its trailing slash: Flask redirects, which suits GET; a write must
        # not be bounced elsewhere, so it is simply not found.
        if isinstance(request.routing_exception, RequestRedirect) and request.method not in (
            "GET", "HEAD", "OPTIONS",
        ):
            raise NotFound()
