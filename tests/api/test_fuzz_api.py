"""Property-based fuzzing of every operation in the service's own OpenAPI document.

Requests are generated from the documented parameters and bodies and sent in-process to the
WSGI app as a superuser, with an organization, a device and a location already stored. Each
response must not be a server error, must match its documented schema, and a 4xx must carry
a JSON body.
"""
from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from monitoring import create_app

# Examples per operation: enough to hit odd values in every parameter, small enough that the
# whole file runs in well under a minute.
EXAMPLES_PER_OPERATION = 6

# Operations whose request the OpenAPI document cannot describe, so generated requests say
# nothing about them; each is covered by its own tests instead.
NOT_FUZZED = [
    # HTML login form (application/x-www-form-urlencoded with a CSRF token): tests/accounts/test_auth.py.
    ("POST", "/api/v1/auth/login/"),
    # An endless text/event-stream, served only where EVENTS_STREAM is set: tests/events/ and
    # tests/ops/test_event_stream_gunicorn.py.
    ("GET", "/api/v1/monitoring/events/"),
]


@schemathesis.check
def client_errors_are_json(ctx, response, case):
    """A 4xx answers with a JSON body a client can show, never an HTML error page."""
    if 400 <= response.status_code < 500:
        # Header names arrive in whatever case the transport keeps; values as lists.
        headers = {name.lower(): value for name, value in response.headers.items()}
        content_type = (headers.get("content-type") or [""])[0]
        assert content_type.startswith("application/json"), (
            f"{response.status_code} with Content-Type {content_type!r}")
        json.loads(response.content)


# The document is read once, at collection, from an app of the test configuration; it needs
# no database. Each operation becomes its own test, so each gets fresh data and a clean
# database afterwards.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app("config.TestConfig"))
for method, path in NOT_FUZZED:
    schema = schema.exclude(method=method, path=path)


@pytest.fixture
def fuzz_headers(app, make):
    """A superuser's token, with some data around for listings and filters to find."""
    admin = make.user(superuser=True)
    org = make.org()
    make.device(org)
    make.location(org)
    make.user(manages=[org])
    return make.headers(admin)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_operation(case, fuzz_headers):
    case.call_and_validate(
        headers=fuzz_headers,
        checks=[not_a_server_error, response_schema_conformance, client_errors_are_json],
        excluded_checks=[status_code_conformance, negative_data_rejection],
    )
