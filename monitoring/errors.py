"""Raising HTTP errors with the JSON bodies clients expect.

Views and services call these instead of building responses, so every error of the API
has one shape: ``{"detail": "..."}``, or a field-keyed dict for invalid input.
"""
from __future__ import annotations

from typing import NoReturn

from flask_smorest import abort

NOT_AUTHENTICATED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
NOT_MANAGER = "User is not a manager of the organization to which the requested resource belongs."
NO_PERMISSION = "You do not have permission to perform this action."
# django-filter's message for a filter value that is not one the caller may choose.
INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."


def not_authenticated(detail: str = NOT_AUTHENTICATED) -> NoReturn:
    abort(401, message=detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str = NO_PERMISSION) -> NoReturn:
    abort(403, message=detail)


def not_found(model_name: str | None = None) -> NoReturn:
    detail = f"No {model_name} matches the given query." if model_name else "Not found."
    abort(404, message=detail)


def invalid(errors: dict) -> NoReturn:
    """400 with messages keyed by field name, e.g. {"name": ["This field is required."]}."""
    abort(400, body=errors)


def bad_request(detail: str) -> NoReturn:
    abort(400, message=detail)


def conflict(detail: str) -> NoReturn:
    abort(409, message=detail)


def not_found_detail(detail: str) -> NoReturn:
    abort(404, message=detail)


def service_unavailable(detail: str) -> NoReturn:
    abort(503, message=detail)


TOO_MANY_LOGINS = "Too many failed login attempts. Try again in {seconds} seconds."


def too_many_logins(retry_after: int) -> NoReturn:
    abort(429, message=TOO_MANY_LOGINS.format(seconds=retry_after), headers={"Retry-After": str(retry_after)})
