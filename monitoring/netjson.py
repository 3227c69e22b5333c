"""NetJSON DeviceMonitoring documents: the schema devices POST against, its validation with
the exact error text the API returns, the transformations applied before a document is
stored, and small helpers the metric writer shares.

Nothing here touches the database or Flask; every function is pure.
"""
from __future__ import annotations

import copy
import math
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import fastjsonschema
from jsonschema import Draft7Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match

__all__ = [
    "ACCESS_TECHNOLOGIES",
    "COUNTER_MAX",
    "DEVICE_MONITORING_SCHEMA",
    "invalid_data",
    "MAX_NESTING_DEPTH",
    "NumberLiterals",
    "access_technology",
    "nested_deeper_than",
    "normalise_ifname",
    "out_of_range_number",
    "replace_unstorable_characters",
    "transform",
    "validation_error",
]

# Mobile access technologies from the least to the most evolved. The position of a
# technology is also the value stored by the access-technology metric (0-5).
ACCESS_TECHNOLOGIES: tuple[str, ...] = ("gsm", "cdma1x", "evdo", "umts", "lte", "5g")

# Interface statistics are the kernel's 64-bit unsigned counters.
COUNTER_MAX = 2**64 - 1
# Memory figures are stored in 64-bit signed columns; more than 8 EiB is never meaningful.
MEMORY_MAX = 2**63 - 1

# Real documents are at most 7 containers deep (interfaces/i/wireless/clients/j/rrm); the
# limit is far above that, yet low enough that validating, copying and serialising a
# document never comes near Python's recursion limit.
MAX_NESTING_DEPTH = 64


# --- schema -------------------------------------------------------------------------------


def _typed(type_name: str, *names: str, **bounds) -> dict[str, dict]:
    return {name: {"type": type_name, **bounds} for name in names}


def _object(properties: dict, required: tuple[str, ...] = (), *, closed: bool = False, **extra) -> dict:
    """An object schema; ``closed`` objects reject keys not listed in ``properties``."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": not closed}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


_IP_ADDRESS = {"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}


def _signal(known: tuple[str, ...], required: tuple[str, ...] = (), **extra) -> dict:
    """A mobile signal measurement: the known keys are numbers, other keys are allowed."""
    return _object(_typed("number", *known), required, **extra)


# LTE and 5G modems report whichever subset of these their firmware supports.
_LTE_LIKE = ("rssi", "rsrp", "rsrq", "snr")

_STATISTICS_KEYS = (
    "collisions", "rx_frame_errors", "tx_compressed", "multicast", "rx_length_errors", "tx_dropped",
    "rx_bytes", "rx_missed_errors", "tx_errors", "rx_compressed", "rx_over_errors", "tx_fifo_errors",
    "rx_crc_errors", "rx_packets", "tx_heartbeat_errors", "rx_dropped", "tx_aborted_errors",
    "tx_packets", "rx_errors", "tx_bytes", "tx_window_errors", "rx_fifo_errors", "tx_carrier_errors",
)  # fmt: skip

_CLIENT = _object(
    {
        **_typed("boolean", "auth", "authorized", "ht", "vht", "wmm", "mfp", "assoc", "he", "wds", "wps", "preauth"),
        **_typed("integer", "aid", "signal", "noise", "bitrate", "quality", "quality_max"),
        **_typed("string", "mac", "vendor", "signature"),
        "rrm": {"type": "array", "items": {"type": "integer"}, "minItems": 5, "maxItems": 5},
    },
    ("auth", "authorized", "ht", "vht", "wmm", "mfp", "mac"),
)

_WIRELESS = _object(
    {
        **_typed("integer", "channel", "frequency", "noise", "tx_power", "signal"),
        **_typed("string", "country", "mode", "ssid", "htmode"),
        # bitrate, quality and quality_max are deliberately left untyped.
        "clients": {"type": "array", "items": _CLIENT},
    },
    ("channel", "country", "frequency", "mode", "noise", "ssid", "tx_power"),
)

_MOBILE = _object(
    {
        # `$` also matches before a trailing newline in Python; the lookahead rules that out.
        "imei": {"type": "string", "pattern": r"^[0-9]{15,17}(?!\n)$"},
        "operator_code": {"type": "string", "pattern": r"^[0-9]{4,6}(?!\n)$"},
        **_typed("string", "operator_name", "connection_status", "power_status", "manufacturer", "model"),
        "signal": _object(
            {
                "gsm": _signal(("rssi",), ("rssi",)),
                "cdma1x": _signal(("rssi", "ecio"), ("rssi", "ecio")),
                "evdo": _signal(("rssi", "ecio", "io", "sinr"), ("rssi", "ecio", "io", "sinr")),
                "umts": _signal(("ecio", "rssi", "rscp"), ("ecio",)),
                "lte": _signal(_LTE_LIKE, anyOf=[{"required": [key]} for key in _LTE_LIKE]),
                "5g": _signal(_LTE_LIKE, anyOf=[{"required": [key]} for key in _LTE_LIKE]),
            }
        ),
    },
    ("imei", "operator_code", "operator_name", "connection_status", "power_status", "manufacturer", "model"),
)

_ADDRESS = _object(
    {**_typed("string", "proto", "family"), "address": _IP_ADDRESS, "mask": {"type": "integer"}},
    ("proto", "family", "address", "mask"),
)

_INTERFACE = _object(
    {
        **_typed("string", "name", "type", "mac", "speed"),
        **_typed("integer", "uptime", "mtu", "txqueuelen"),
        **_typed("boolean", "up", "multicast", "stp"),
        "bridge_members": {"type": "array", "items": {"type": "string"}},
        "statistics": _object(_typed("integer", *_STATISTICS_KEYS, minimum=0, maximum=COUNTER_MAX)),
        "wireless": _WIRELESS,
        "mobile": _MOBILE,
        "addresses": {"type": "array", "uniqueItems": True, "items": _ADDRESS},
    },
    ("name",),
)

_DISK = _object(
    {
        **_typed("string", "mount_point", "filesystem"),
        **_typed("integer", "used_bytes", "available_bytes", "used_percent", "size_bytes"),
    },
    ("mount_point", "filesystem", "used_bytes", "available_bytes", "used_percent", "size_bytes"),
    closed=True,
)

_RESOURCES = _object(
    {
        # The agent sends the 1, 5 and 15 minute averages, but any length is accepted: the
        # writer only reads what is there.
        "load": {"type": "array", "items": {"type": "number"}},
        "cpus": {"type": "integer"},
        "memory": _object(
            _typed("integer", "total", "free", "buffered", "shared", "cached", "available",
                   minimum=0, maximum=MEMORY_MAX),
            ("total", "free", "buffered", "shared"),
        ),
        "disk": {"type": "array", "items": _DISK},
        "swap": _object(_typed("integer", "total", "free")),
        "connections": _object(
            {family: _object(_typed("integer", "tcp", "udp")) for family in ("ipv4", "ipv6")}
        ),
        "processes": _object(_typed("integer", "running", "sleeping", "blocked", "zombie", "stopped", "paging")),
        "cpu": _object(
            _typed("integer", "frequency", "user", "system", "nice", "idle", "iowait", "irq", "softirq")
        ),
        "flash": _object(_typed("integer", "total", "free")),
        "storage": _object(_typed("integer", "total", "free")),
    }
)

_LEASE = _object(
    {
        "expiry": {"type": "number"},
        "ip": _IP_ADDRESS,
        **_typed("string", "mac", "client_name", "client_id", "vendor"),
    },
    ("expiry", "ip", "mac", "client_name", "client_id"),
    closed=True,
)

_NEIGHBOR = _object(
    {"ip": _IP_ADDRESS, **_typed("string", "interface", "mac", "vendor", "state")},
    ("ip", "interface"),
    closed=True,
)

DEVICE_MONITORING_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "NetJSON DeviceMonitoring",
    # Unknown top-level keys (dns_servers, dns_search, ...) are kept as sent.
    **_object(
        {
            "type": {"type": "string", "enum": ["DeviceMonitoring"]},
            "general": _object(_typed("integer", "local_time", "uptime")),
            "resources": _RESOURCES,
            "interfaces": {"type": "array", "uniqueItems": True, "items": _INTERFACE},
            "dhcp_leases": {"type": "array", "items": _LEASE},
            "neighbors": {"type": "array", "items": _NEIGHBOR},
        },
        ("type",),
    ),
}


# --- validation ---------------------------------------------------------------------------


def _hashable(value: Any) -> Any:
    """A hashable stand-in for a JSON value that is equal exactly when JSON Schema considers
    the values equal: booleans differ from numbers, ``1`` equals ``1.0``, key order does not
    matter and list order does."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(_hashable(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((key, _hashable(item)) for key, item in value.items()))
    return ("other", value)


def _unique_items(validator, unique: bool, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """``uniqueItems`` in linear time.

    jsonschema compares unsortable items (objects) pairwise, so a few thousand interfaces
    already take seconds to check; hashing keeps a large hostile payload cheap. Semantics
    and message are the library's.
    """
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set = set()
    for item in instance:
        key = _hashable(item)
        if key in seen:
            yield ValidationError(f"{instance!r} has non-unique elements")
            return
        seen.add(key)


Draft7Validator.check_schema(DEVICE_MONITORING_SCHEMA)
_Validator = validators.extend(Draft7Validator, {"uniqueItems": _unique_items})
_FORMAT_CHECKER = FormatChecker(formats=("ipv4", "ipv6"))
_VALIDATOR = _Validator(DEVICE_MONITORING_SCHEMA, format_checker=_FORMAT_CHECKER)

_TOO_DEEP = f"the document is nested too deeply (the limit is {MAX_NESTING_DEPTH} levels)"


def invalid_data(path: str, message: str) -> str:
    """The API's message for a body error at ``path`` (schema, range or limit)."""
    return f'Invalid data in "#/{path}", validator says:\n\n{message}'


def nested_deeper_than(document: Any, limit: int) -> bool:
    """Whether ``document`` has more than ``limit`` levels of nested arrays/objects.

    Iterative, so that measuring cannot itself exhaust the stack.
    """
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _without_unique_interfaces(schema: dict) -> dict:
    """The schema less ``uniqueItems`` of ``interfaces``, which :func:`_interfaces_unique`
    checks instead."""
    fast = copy.deepcopy(schema)
    del fast["properties"]["interfaces"]["uniqueItems"]
    return fast


# The same schema compiled to Python code: about ten times faster than walking it, which
# matters on the busiest endpoint. It only ever says "valid"; every rejection, and its
# message, comes from jsonschema. Its format checks are jsonschema's own, and
# tests/ingest/test_netjson_fast_path.py checks on generated documents that the two agree.
_FAST_VALIDATE = fastjsonschema.compile(
    _without_unique_interfaces(DEVICE_MONITORING_SCHEMA),
    formats={name: (lambda value, name=name: _FORMAT_CHECKER.conforms(value, name)) for name in ("ipv4", "ipv6")},
)


def _interfaces_unique(document: dict) -> bool:
    """``uniqueItems`` of ``interfaces`` in a document the compiled schema accepted, where
    every interface is an object with a string name. Interfaces with different names cannot
    be equal, which settles nearly every sample at once; fastjsonschema made a hashable copy
    of every interface, its WiFi clients included, and that was most of the validation's
    time."""
    interfaces = document.get("interfaces", [])
    if len({interface["name"] for interface in interfaces}) == len(interfaces):
        return True
    return len({_hashable(interface) for interface in interfaces}) == len(interfaces)


def _fast_valid(document: Any) -> bool:
    try:
        _FAST_VALIDATE(document)
    except fastjsonschema.JsonSchemaException:
        return False
    except RecursionError:
        return False
    return _interfaces_unique(document)


def _may_nest_deeper(text: str | None, limit: int) -> bool:
    """Whether the JSON ``text`` could nest deeper than ``limit`` levels: every level opens
    with a bracket of its own, so a text with no more brackets than that cannot (brackets
    inside strings only make this say "may" more often). A count in C, where walking the
    parsed document took longer than validating it."""
    return text is None or text.count("{") + text.count("[") > limit


def validation_error(document: Any, text: str | None = None) -> str | None:
    """Validate a parsed NetJSON DeviceMonitoring document (parsed from ``text``, when given).

    Returns ``None`` when ``document`` is valid, else the message the API answers with::

        Invalid data in "#/<path>", validator says:

        <validator message>

    where the error is jsonschema's best match among all errors and ``<path>`` its location
    joined with ``/`` (empty for the root). Documents nested deeper than
    ``MAX_NESTING_DEPTH`` levels are rejected at the root before schema validation, so
    callers can copy, transform and serialise any document this accepts.
    """
    if (isinstance(document, dict | list) and _may_nest_deeper(text, MAX_NESTING_DEPTH)
            and nested_deeper_than(document, MAX_NESTING_DEPTH)):
        return invalid_data("", _TOO_DEEP)
    if _fast_valid(document):
        return None
    try:
        error = best_match(_VALIDATOR.iter_errors(document))
    except RecursionError:
        # Only reachable when called with little stack left; treat it like a too-deep
        # document instead of failing the request.
        return invalid_data("", _TOO_DEEP)
    if error is None:
        return None
    return invalid_data("/".join(str(part) for part in error.absolute_path), error.message)


# --- values PostgreSQL cannot hold --------------------------------------------------------
#
# Routers send what their drivers report: an SSID with a NUL byte, a vendor string cut in the
# middle of a UTF-16 pair. JSON carries those as \\u0000 and lone \\ud800-\\udfff escapes,
# which PostgreSQL can neither store (NUL) nor encode (surrogates). One odd string must not
# cost the whole sample: they are replaced by U+FFFD. Numbers are another matter: a value
# that does not even fit a double (1e309, or an integer of hundreds of digits) can never be
# meaningful, and is refused by name.

# Only escapes can put these characters in a JSON text: a cheap test on the text spares the
# walk over every string of nearly every sample.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LARGEST_DOUBLE = 1.7976931348623157e308
# An integer literal shorter than this (sign included) is below the largest double.
_SHORTEST_HUGE_INTEGER = len(str(int(_LARGEST_DOUBLE)))


def _clean(text: str) -> str:
    return _UNSTORABLE.sub("\ufffd", text)


def _children(value: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, dict):
        return iter(value.items())
    if isinstance(value, list):
        return iter(enumerate(value))
    return iter(())


def replace_unstorable_characters(document: Any, text: str) -> Any:
    """``document`` (parsed from ``text``) with NUL characters and lone surrogates in its
    keys and strings replaced by U+FFFD; the very same object when ``text`` cannot hold any."""
    if not _UNSTORABLE_ESCAPE.search(text):
        return document

    def cleaned(value: Any) -> Any:
        if isinstance(value, str):
            return _clean(value)
        if isinstance(value, dict):
            return {_clean(key): cleaned(item) for key, item in value.items()}
        if isinstance(value, list):
            return [cleaned(item) for item in value]
        return value

    # Call after validation_error: the nesting is bounded by then.
    return cleaned(document)


class NumberLiterals:
    """``json.loads`` hooks (``parse_float``, ``parse_int``) that parse numbers as usual and
    note whether one may not fit a double: a float literal that parsed to an infinity, or an
    integer literal as long as the largest double's digits. Noting it while parsing costs a
    fraction of searching the text for such literals afterwards (a regular expression over
    every digit of the text took longer than the parse itself)."""

    def __init__(self) -> None:
        self.may_not_fit = False

    def parse_float(self, literal: str) -> float:
        value = float(literal)
        if math.isinf(value):
            self.may_not_fit = True
        return value

    def parse_int(self, literal: str) -> int:
        if len(literal) >= _SHORTEST_HUGE_INTEGER:
            self.may_not_fit = True
        return int(literal)


def out_of_range_number(document: Any) -> str | None:
    """The API's error message for the first number of ``document`` that is not a finite
    double, or ``None``. It walks the whole document: call it only for one whose parse found
    such a literal (:class:`NumberLiterals`)."""
    pending: list[tuple[Any, tuple]] = [(document, ())]
    while pending:
        value, path = pending.pop()
        if isinstance(value, float) and not math.isfinite(value) or (
                isinstance(value, int) and not isinstance(value, bool) and abs(value) > _LARGEST_DOUBLE):
            return invalid_data("/".join(str(part) for part in path),
                            "the number is out of range: it does not fit a 64-bit floating point value")
        pending.extend((child, (*path, key)) for key, child in reversed(list(_children(value))))
    return None


# --- transformation -----------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _float_signal_values(signal: dict) -> None:
    # Values arrive as ints or floats depending on the modem; storing floats everywhere
    # keeps the snapshot and the signal metrics consistent. Non-numeric values of keys the
    # schema does not type are left as sent.
    for measurements in signal.values():
        if isinstance(measurements, dict):
            for key, value in measurements.items():
                if _is_number(value):
                    measurements[key] = float(value)


def _null_unsupported_standards(htmode: str, clients: list) -> None:
    # The driver reports `false` for standards the radio is not even running; null says
    # "not applicable" rather than "client does not support it".
    for client in clients:
        if not isinstance(client, dict):
            continue
        if htmode == "NOHT":
            client["ht"] = None
            client["vht"] = None
            if "he" in client:
                client["he"] = None
        elif htmode.startswith("HT"):
            if client.get("vht") is False:
                client["vht"] = None
            if client.get("he") is False:
                client["he"] = None
        elif htmode.startswith("VHT"):
            if client.get("he") is False:
                client["he"] = None


def transform(document: dict, *, in_place: bool = False) -> dict:
    """A transformed deep copy of a valid document, as it is stored as the latest snapshot.

    * every numeric value inside ``interfaces[*].mobile.signal.<technology>`` becomes a float;
    * wireless clients get ``ht``/``vht``/``he`` nulled according to the interface
      ``htmode``: ``NOHT`` nulls ``ht`` and ``vht`` (and ``he`` when present), ``HT…`` nulls
      ``vht`` and ``he`` when they are ``false``, ``VHT…`` nulls ``he`` when ``false``,
      ``HE…`` changes nothing;
    * ``interfaces[*].wireless.bitrate`` goes from kbit/s to Mbit/s rounded to one decimal.

    ``document`` must be one for which :func:`validation_error` returned ``None``; it is not
    modified, unless ``in_place``: then it is transformed itself and returned. A device POST
    owns the document it has just parsed, and copying it cost more than transforming it.
    """
    transformed = document if in_place else copy.deepcopy(document)
    for interface in transformed.get("interfaces", []):
        signal = (interface.get("mobile") or {}).get("signal")
        if isinstance(signal, dict):
            _float_signal_values(signal)
        wireless = interface.get("wireless")
        if not isinstance(wireless, dict):
            continue
        htmode, clients = wireless.get("htmode"), wireless.get("clients")
        if isinstance(htmode, str) and isinstance(clients, list):
            _null_unsupported_standards(htmode, clients)
        # bitrate is untyped in the schema; only a number can be converted.
        if _is_number(wireless.get("bitrate")):
            wireless["bitrate"] = round(wireless["bitrate"] / 1000, 1)
    return transformed


# --- helpers for the metric writer --------------------------------------------------------


def normalise_ifname(name: str) -> str:
    """The form of an interface name used in metric tags (``eth0.2`` → ``eth0_2``).

    ``.`` becomes ``_``, then the name is slugified the way Django's ``slugify`` does it
    (accents folded to ASCII, lower-cased, characters other than letters, digits, ``_``,
    ``-`` and whitespace dropped, runs of ``-``/whitespace turned into one ``-``, leading
    and trailing ``-``/``_`` stripped), then ``-`` becomes ``_``. Examples: ``br-lan`` →
    ``br_lan``, ``WAN`` → ``wan``, ``Test metric-(1)`` → ``test_metric_1``.
    """
    value = name.replace(".", "_")
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value.lower())
    value = re.sub(r"[-\s]+", "-", value).strip("-_")
    return value.replace("-", "_")


def access_technology(signal: dict) -> str | None:
    """The access technology a mobile interface's ``signal`` object reports.

    With one key, that key if it is a known technology; with several, the most evolved
    known one (5g > lte > umts > evdo > cdma1x > gsm). Both rules amount to "the most
    evolved known key present". ``None`` when there is none (``{}``, only unknown keys).
    """
    for technology in reversed(ACCESS_TECHNOLOGIES):
        if technology in signal:
            return technology
    return None
