"""NetJSON DeviceMonitoring: schema validation messages, snapshot transformations and the
helpers the metric writer uses. Pure functions: nothing here needs the database."""
from __future__ import annotations

import copy
import json
import time

import pytest
from jsonschema import Draft7Validator

from monitoring import netjson
from monitoring.netjson import (
    ACCESS_TECHNOLOGIES,
    DEVICE_MONITORING_SCHEMA,
    MAX_NESTING_DEPTH,
    access_technology,
    normalise_ifname,
    transform,
    validation_error,
)

# The full realistic example of docs/api.md §7.1, verbatim.
FULL_EXAMPLE = json.loads(
    """
{
  "type": "DeviceMonitoring",
  "general": {"hostname": "ap-lobby", "local_time": 1714644931, "uptime": 86400},
  "resources": {
    "load": [0.21, 0.15, 0.1],
    "cpus": 2,
    "memory": {"total": 249774080, "free": 124497664, "buffered": 974848,
               "shared": 86016, "cached": 6774784, "available": 133397664},
    "swap": {"total": 0, "free": 0},
    "disk": [
      {"mount_point": "/", "filesystem": "/dev/root", "used_bytes": 18792,
       "available_bytes": 233984, "used_percent": 7, "size_bytes": 258016},
      {"mount_point": "/boot", "filesystem": "/dev/sda1", "used_bytes": 3872,
       "available_bytes": 11916, "used_percent": 25, "size_bytes": 16112}
    ],
    "connections": {"ipv4": {"tcp": 12, "udp": 8}, "ipv6": {"tcp": 2, "udp": 3}},
    "processes": {"running": 1, "sleeping": 60, "blocked": 0, "zombie": 0, "stopped": 0, "paging": 0},
    "cpu": {"frequency": 880, "user": 12, "system": 5, "nice": 0, "idle": 983, "iowait": 0, "irq": 0, "softirq": 1},
    "flash": {"total": 16777216, "free": 9437184},
    "storage": {"total": 12582912, "free": 8388608}
  },
  "interfaces": [
    {
      "name": "eth0", "type": "ethernet", "up": true, "mac": "44:d1:fa:4b:38:40",
      "mtu": 1500, "txqueuelen": 1000, "multicast": true, "speed": "1000F",
      "statistics": {"rx_bytes": 923847, "tx_bytes": 234987, "rx_packets": 8123,
                     "tx_packets": 4012, "rx_errors": 0, "tx_errors": 0,
                     "rx_dropped": 0, "tx_dropped": 0, "collisions": 0, "multicast": 0},
      "addresses": [
        {"proto": "dhcp", "family": "ipv4", "address": "192.168.1.23", "mask": 24, "gateway": "192.168.1.1"},
        {"proto": "static", "family": "ipv6", "address": "fe80::46d1:faff:fe4b:3840", "mask": 64}
      ]
    },
    {
      "name": "br-lan", "type": "bridge", "up": true, "mac": "44:d1:fa:4b:38:41",
      "mtu": 1500, "txqueuelen": 1000, "multicast": true,
      "bridge_members": ["eth1", "wlan0"], "stp": false,
      "addresses": [{"proto": "static", "family": "ipv4", "address": "10.0.0.1", "mask": 24}]
    },
    {
      "name": "wlan0", "type": "wireless", "up": true, "mac": "44:d1:fa:4b:38:43",
      "mtu": 1500, "txqueuelen": 1000, "multicast": true,
      "statistics": {"rx_bytes": 324, "tx_bytes": 145, "collisions": 0,
                     "multicast": 0, "rx_dropped": 0, "tx_dropped": 0},
      "wireless": {
        "ssid": "testnet", "mode": "access_point", "channel": 6, "frequency": 2437,
        "tx_power": 6, "signal": -29, "noise": -95, "country": "US",
        "htmode": "HT20", "bitrate": 1100, "quality": 65, "quality_max": 70,
        "clients": [
          {"mac": "00:ee:ad:34:f5:3b", "aid": 1, "assoc": true, "auth": true,
           "authorized": true, "preauth": false, "ht": true, "vht": false, "he": false,
           "wmm": true, "wds": false, "wps": false, "mfp": false,
           "signal": -52, "noise": -95, "signature": "test_signature",
           "rrm": [0, 0, 0, 0, 0]}
        ]
      }
    },
    {
      "name": "mesh0", "type": "wireless", "up": true, "mac": "64:70:02:3e:9e:8b",
      "wireless": {"ssid": "mesh-mng", "mode": "802.11s", "channel": 11, "frequency": 2462,
                   "tx_power": 17, "noise": -95, "country": "ES", "htmode": "HT20",
                   "clients": [{"mac": "a0:f3:c1:a5:fa:35", "auth": true, "authorized": true,
                                "ht": true, "vht": false, "wmm": true, "mfp": false}]}
    },
    {
      "name": "mobile0", "type": "modem-manager", "up": true, "mac": "00:00:00:00:00:00",
      "mtu": 1900, "txqueuelen": 1000, "multicast": true,
      "statistics": {"rx_bytes": 5000000, "tx_bytes": 1200000},
      "mobile": {
        "imei": "300000001234567", "operator_code": "50502", "operator_name": "YES OPTUS",
        "connection_status": "connected", "power_status": "on",
        "manufacturer": "Sierra Wireless, Incorporated", "model": "MC7430",
        "signal": {"lte": {"rssi": -51, "rsrp": -75, "rsrq": -8, "snr": 13},
                   "umts": {"ecio": 2, "rscp": -14, "rssi": -80}}
      }
    }
  ],
  "dhcp_leases": [
    {"expiry": 1714648531, "ip": "10.0.0.196", "mac": "f2:f1:3e:56:d2:77",
     "client_name": "MyPhone1", "client_id": "01:20:f4:78:19:3b:38"}
  ],
  "neighbors": [
    {"ip": "fe80::9683:c4ff:fe02:c2bf", "mac": "44:d1:fa:4b:00:02", "interface": "eth0", "state": "REACHABLE"},
    {"ip": "10.0.0.2", "interface": "br-lan", "state": "FAILED"}
  ],
  "dns_servers": ["10.0.0.1"],
  "dns_search": ["lan"]
}
"""
)


@pytest.fixture
def document() -> dict:
    return copy.deepcopy(FULL_EXAMPLE)


def invalid(path: str, message: str) -> str:
    return f'Invalid data in "#/{path}", validator says:\n\n{message}'


def at(document, path: tuple):
    for part in path:
        document = document[part]
    return document


def path_of(path: tuple) -> str:
    return "/".join(str(part) for part in path)


# Index of each interface of FULL_EXAMPLE["interfaces"].
ETH0, BR_LAN, WLAN0, MESH0, MOBILE0 = range(5)

MOBILE_REQUIRED = {
    "imei": "300000001234567",
    "operator_code": "50502",
    "operator_name": "YES OPTUS",
    "connection_status": "connected",
    "power_status": "on",
    "manufacturer": "Sierra Wireless, Incorporated",
    "model": "MC7430",
}

CLIENT_REQUIRED = {"mac": "00:ee:ad:34:f5:3b", "auth": True, "authorized": True, "wmm": True, "mfp": False}


def mobile_document(**mobile) -> dict:
    return {
        "type": "DeviceMonitoring",
        "interfaces": [{"name": "mobile0", "mobile": {**MOBILE_REQUIRED, **mobile}}],
    }


def nested(levels: int) -> list:
    """``levels`` arrays nested in one another, built without recursion."""
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


# --- the schema itself --------------------------------------------------------------------


def test_schema_is_a_valid_draft_07_schema():
    assert DEVICE_MONITORING_SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(DEVICE_MONITORING_SCHEMA)


def test_load_length_is_not_constrained_by_the_schema():
    load = DEVICE_MONITORING_SCHEMA["properties"]["resources"]["properties"]["load"]
    assert "minItems" not in load and "maxItems" not in load


# --- valid documents ----------------------------------------------------------------------


def test_full_realistic_example_is_valid(document):
    assert validation_error(document) is None


def test_minimal_document_is_valid():
    assert validation_error({"type": "DeviceMonitoring"}) is None
    assert validation_error({"type": "DeviceMonitoring", "interfaces": []}) is None


@pytest.mark.parametrize(
    "path, key",
    [
        ((), "general"),
        ((), "resources"),
        ((), "interfaces"),
        ((), "dhcp_leases"),
        ((), "neighbors"),
        ((), "dns_servers"),
        (("general",), "local_time"),
        (("general",), "uptime"),
        (("resources",), "load"),
        (("resources",), "cpus"),
        (("resources",), "memory"),
        (("resources",), "disk"),
        (("resources",), "swap"),
        (("resources", "memory"), "cached"),
        (("resources", "memory"), "available"),
        (("resources", "swap"), "total"),
        (("resources", "connections", "ipv4"), "tcp"),
        (("resources", "processes"), "paging"),
        (("resources", "cpu"), "frequency"),
        (("resources", "flash"), "free"),
        (("interfaces", ETH0), "type"),
        (("interfaces", ETH0), "statistics"),
        (("interfaces", ETH0), "addresses"),
        (("interfaces", ETH0), "speed"),
        (("interfaces", WLAN0, "wireless"), "clients"),
        (("interfaces", WLAN0, "wireless"), "htmode"),
        (("interfaces", WLAN0, "wireless"), "signal"),
        (("interfaces", WLAN0, "wireless", "clients", 0), "he"),
        (("interfaces", WLAN0, "wireless", "clients", 0), "rrm"),
        (("interfaces", WLAN0, "wireless", "clients", 0), "aid"),
        (("interfaces", MOBILE0, "mobile"), "signal"),
        (("interfaces", MOBILE0, "mobile", "signal", "umts"), "rssi"),
        (("interfaces", MOBILE0, "mobile", "signal", "umts"), "rscp"),
        (("interfaces", ETH0, "addresses", 0), "gateway"),
        (("neighbors", 0), "mac"),
        (("neighbors", 0), "state"),
    ],
    ids=lambda value: "/".join(map(str, value)) if isinstance(value, tuple) else value,
)
def test_optional_keys_may_be_left_out(document, path, key):
    del at(document, path)[key]
    assert validation_error(document) is None


# --- the examples of §4.2 step 6 ----------------------------------------------------------


def test_missing_type_is_reported_at_the_root():
    assert validation_error({"interfaces": []}) == invalid("", "'type' is a required property")


def test_empty_body_lacks_type():
    assert validation_error({}) == invalid("", "'type' is a required property")


def test_interface_without_name_is_reported_at_its_index():
    assert validation_error({"type": "DeviceMonitoring", "interfaces": [{}]}) == invalid(
        "interfaces/0", "'name' is a required property"
    )


def test_bad_neighbor_ip_is_not_valid_under_any_schema(document):
    document["neighbors"][0]["ip"] = "not-an-ip"
    message = validation_error(document)
    assert message.startswith('Invalid data in "#/neighbors/0/ip", validator says:\n\n')
    assert "is not valid under any of the given schemas" in message


def test_disk_must_be_an_array(document):
    document["resources"]["disk"] = {}
    assert validation_error(document) == invalid("resources/disk", "{} is not of type 'array'")


def test_disk_item_without_mount_point(document):
    del document["resources"]["disk"][0]["mount_point"]
    assert validation_error(document) == invalid("resources/disk/0", "'mount_point' is a required property")


def test_float_bytes_are_not_integers(document):
    document["resources"]["disk"][0]["used_bytes"] = 18792.12
    assert validation_error(document) == invalid(
        "resources/disk/0/used_bytes", "18792.12 is not of type 'integer'"
    )


# --- required keys ------------------------------------------------------------------------

REQUIRED = [
    ((), "type"),
    (("interfaces", ETH0), "name"),
    *((("interfaces", WLAN0, "wireless"), key) for key in
      ("channel", "country", "frequency", "mode", "noise", "ssid", "tx_power")),
    *((("interfaces", WLAN0, "wireless", "clients", 0), key) for key in
      ("auth", "authorized", "ht", "vht", "wmm", "mfp", "mac")),
    *((("interfaces", MOBILE0, "mobile"), key) for key in MOBILE_REQUIRED),
    (("interfaces", MOBILE0, "mobile", "signal", "umts"), "ecio"),
    *((("interfaces", ETH0, "addresses", 0), key) for key in ("proto", "family", "address", "mask")),
    *((("resources", "memory"), key) for key in ("total", "free", "buffered", "shared")),
    *((("resources", "disk", 0), key) for key in
      ("mount_point", "filesystem", "used_bytes", "available_bytes", "used_percent", "size_bytes")),
    *((("dhcp_leases", 0), key) for key in ("expiry", "ip", "mac", "client_name", "client_id")),
    *((("neighbors", 0), key) for key in ("ip", "interface")),
]  # fmt: skip


@pytest.mark.parametrize(
    "path, key", REQUIRED, ids=[f"{path_of(path)}/{key}".lstrip("/") for path, key in REQUIRED]
)
def test_required_keys(document, path, key):
    del at(document, path)[key]
    assert validation_error(document) == invalid(path_of(path), f"'{key}' is a required property")


# --- types --------------------------------------------------------------------------------

TYPES = [
    ((), "type", "Device", "'Device' is not one of ['DeviceMonitoring']"),
    ((), "type", 1, "1 is not of type 'string'"),
    ((), "general", [], "[] is not of type 'object'"),
    ((), "resources", "x", "'x' is not of type 'object'"),
    ((), "interfaces", {}, "{} is not of type 'array'"),
    ((), "dhcp_leases", {}, "{} is not of type 'array'"),
    ((), "neighbors", None, "None is not of type 'array'"),
    (("general",), "local_time", "1714644931", "'1714644931' is not of type 'integer'"),
    (("general",), "uptime", 86400.5, "86400.5 is not of type 'integer'"),
    (("resources",), "load", "0.21", "'0.21' is not of type 'array'"),
    (("resources", "load"), 0, "0.21", "'0.21' is not of type 'number'"),
    (("resources",), "cpus", 2.5, "2.5 is not of type 'integer'"),
    (("resources",), "memory", [], "[] is not of type 'object'"),
    (("resources", "memory"), "total", "249774080", "'249774080' is not of type 'integer'"),
    (("resources", "memory"), "available", 1.5, "1.5 is not of type 'integer'"),
    (("resources", "disk", 0), "mount_point", 1, "1 is not of type 'string'"),
    (("resources", "disk", 0), "filesystem", None, "None is not of type 'string'"),
    (("resources", "disk", 0), "used_percent", "7", "'7' is not of type 'integer'"),
    (("resources", "swap"), "total", "0", "'0' is not of type 'integer'"),
    (("resources", "connections", "ipv4"), "tcp", 1.5, "1.5 is not of type 'integer'"),
    (("resources", "connections"), "ipv6", 5, "5 is not of type 'object'"),
    (("resources", "processes"), "running", "1", "'1' is not of type 'integer'"),
    (("resources", "cpu"), "idle", None, "None is not of type 'integer'"),
    (("resources", "flash"), "free", "x", "'x' is not of type 'integer'"),
    (("resources", "storage"), "total", [], "[] is not of type 'integer'"),
    (("interfaces",), 0, "eth0", "'eth0' is not of type 'object'"),
    (("interfaces", ETH0), "name", 0, "0 is not of type 'string'"),
    (("interfaces", ETH0), "type", 5, "5 is not of type 'string'"),
    (("interfaces", ETH0), "up", "true", "'true' is not of type 'boolean'"),
    (("interfaces", ETH0), "mtu", "1500", "'1500' is not of type 'integer'"),
    (("interfaces", ETH0), "txqueuelen", 1000.5, "1000.5 is not of type 'integer'"),
    (("interfaces", ETH0), "uptime", "1", "'1' is not of type 'integer'"),
    (("interfaces", ETH0), "mac", 1, "1 is not of type 'string'"),
    (("interfaces", ETH0), "multicast", 1, "1 is not of type 'boolean'"),
    (("interfaces", ETH0), "speed", 1000, "1000 is not of type 'string'"),
    (("interfaces", BR_LAN), "stp", "no", "'no' is not of type 'boolean'"),
    (("interfaces", BR_LAN), "bridge_members", "eth1", "'eth1' is not of type 'array'"),
    (("interfaces", BR_LAN, "bridge_members"), 0, 1, "1 is not of type 'string'"),
    (("interfaces", ETH0, "statistics"), "rx_bytes", "923847", "'923847' is not of type 'integer'"),
    (("interfaces", ETH0, "statistics"), "tx_bytes", 234987.5, "234987.5 is not of type 'integer'"),
    (("interfaces", ETH0), "statistics", [], "[] is not of type 'object'"),
    (("interfaces", ETH0), "addresses", {}, "{} is not of type 'array'"),
    (("interfaces", ETH0, "addresses", 0), "mask", "24", "'24' is not of type 'integer'"),
    (("interfaces", ETH0, "addresses", 0), "proto", 1, "1 is not of type 'string'"),
    (("interfaces", WLAN0, "wireless"), "channel", "6", "'6' is not of type 'integer'"),
    (("interfaces", WLAN0, "wireless"), "frequency", 2437.5, "2437.5 is not of type 'integer'"),
    (("interfaces", WLAN0, "wireless"), "signal", -29.5, "-29.5 is not of type 'integer'"),
    (("interfaces", WLAN0, "wireless"), "htmode", 20, "20 is not of type 'string'"),
    (("interfaces", WLAN0, "wireless"), "ssid", None, "None is not of type 'string'"),
    (("interfaces", WLAN0, "wireless"), "clients", {}, "{} is not of type 'array'"),
    (("interfaces", WLAN0, "wireless", "clients", 0), "ht", "yes", "'yes' is not of type 'boolean'"),
    (("interfaces", WLAN0, "wireless", "clients", 0), "he", 0, "0 is not of type 'boolean'"),
    (("interfaces", WLAN0, "wireless", "clients", 0), "aid", "1", "'1' is not of type 'integer'"),
    (("interfaces", WLAN0, "wireless", "clients", 0), "signature", 5, "5 is not of type 'string'"),
    (("interfaces", WLAN0, "wireless", "clients", 0), "vendor", 1, "1 is not of type 'string'"),
    (("interfaces", WLAN0, "wireless", "clients", 0), "mac", 1, "1 is not of type 'string'"),
    (("interfaces", WLAN0, "wireless", "clients", 0, "rrm"), 0, "0", "'0' is not of type 'integer'"),
    (("interfaces", MOBILE0), "mobile", "lte", "'lte' is not of type 'object'"),
    (("interfaces", MOBILE0, "mobile"), "operator_name", 1, "1 is not of type 'string'"),
    (("interfaces", MOBILE0, "mobile"), "signal", [], "[] is not of type 'object'"),
    (("interfaces", MOBILE0, "mobile", "signal"), "lte", -51, "-51 is not of type 'object'"),
    (("dhcp_leases", 0), "expiry", "1714648531", "'1714648531' is not of type 'number'"),
    (("dhcp_leases", 0), "client_name", None, "None is not of type 'string'"),
    (("neighbors", 0), "state", 1, "1 is not of type 'string'"),
    (("neighbors", 0), "interface", [], "[] is not of type 'string'"),
]


@pytest.mark.parametrize(
    "path, key, value, message",
    TYPES,
    ids=[f"{path_of(path)}/{key}={value!r}".lstrip("/") for path, key, value, _ in TYPES],
)
def test_types(document, path, key, value, message):
    at(document, path)[key] = value
    assert validation_error(document) == invalid(path_of((*path, key)), message)


def test_document_must_be_an_object():
    assert validation_error([]) == invalid("", "[] is not of type 'object'")
    assert validation_error("DeviceMonitoring") == invalid("", "'DeviceMonitoring' is not of type 'object'")
    assert validation_error(None) == invalid("", "None is not of type 'object'")


def test_speed_is_a_string(document):
    document["interfaces"][ETH0]["speed"] = "100H"
    assert validation_error(document) is None
    document["interfaces"][ETH0]["speed"] = 1000
    assert validation_error(document) == invalid("interfaces/0/speed", "1000 is not of type 'string'")


@pytest.mark.parametrize("load", [[], [0.5], [0.5, 0.25], [1, 2, 3, 4, 5]], ids=len)
def test_load_of_any_length_is_valid(document, load):
    document["resources"]["load"] = load
    assert validation_error(document) is None


@pytest.mark.parametrize(
    "path, key, value",
    [
        (("general",), "local_time", 1714644931.0),
        (("resources",), "cpus", 2.0),
        (("resources", "disk", 0), "used_bytes", 18792.0),
        (("interfaces", ETH0), "mtu", 1500.0),
        (("interfaces", ETH0, "statistics"), "rx_bytes", 923847.0),
        (("interfaces", WLAN0, "wireless", "clients", 0, "rrm"), 0, 0.0),
    ],
    ids=lambda value: "/".join(map(str, value)) if isinstance(value, tuple) else str(value),
)
def test_integral_floats_are_integers(document, path, key, value):
    at(document, path)[key] = value
    assert validation_error(document) is None


@pytest.mark.parametrize(
    "path, key, value, expected_type",
    [
        (("general",), "uptime", True, "integer"),
        (("resources",), "cpus", False, "integer"),
        (("interfaces", ETH0), "mtu", True, "integer"),
        (("resources", "load"), 0, True, "number"),
        (("dhcp_leases", 0), "expiry", False, "number"),
        (("interfaces", MOBILE0, "mobile", "signal", "lte"), "rssi", True, "number"),
    ],
    ids=lambda value: "/".join(map(str, value)) if isinstance(value, tuple) else str(value),
)
def test_booleans_are_not_numbers(document, path, key, value, expected_type):
    at(document, path)[key] = value
    assert validation_error(document) == invalid(
        path_of((*path, key)), f"{value!r} is not of type '{expected_type}'"
    )


@pytest.mark.parametrize("rrm", [[0, 0, 0, 0], [0, 0, 0, 0, 0, 0]], ids=len)
def test_rrm_has_exactly_five_items(document, rrm):
    document["interfaces"][WLAN0]["wireless"]["clients"][0]["rrm"] = rrm
    message = validation_error(document)
    assert message.startswith('Invalid data in "#/interfaces/2/wireless/clients/0/rrm", validator says:')
    assert "too short" in message or "too long" in message


# --- additional properties ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        (),
        ("general",),
        ("resources",),
        ("resources", "memory"),
        ("interfaces", ETH0),
        ("interfaces", ETH0, "statistics"),
        ("interfaces", ETH0, "addresses", 0),
        ("interfaces", WLAN0, "wireless"),
        ("interfaces", WLAN0, "wireless", "clients", 0),
        ("interfaces", MOBILE0, "mobile"),
        ("interfaces", MOBILE0, "mobile", "signal"),
        ("interfaces", MOBILE0, "mobile", "signal", "lte"),
    ],
    ids=lambda path: path_of(path) or "root",
)
def test_unknown_keys_are_allowed(document, path):
    at(document, path)["something_new"] = {"any": ["value", 1]}
    assert validation_error(document) is None


@pytest.mark.parametrize(
    "path", [("resources", "disk", 0), ("dhcp_leases", 0), ("neighbors", 0)], ids=path_of
)
def test_unknown_keys_are_rejected(document, path):
    at(document, path)["extra"] = 1
    assert validation_error(document) == invalid(
        path_of(path), "Additional properties are not allowed ('extra' was unexpected)"
    )


def test_leases_and_neighbors_may_carry_a_vendor(document):
    document["dhcp_leases"][0]["vendor"] = "Apple, Inc."
    document["neighbors"][0]["vendor"] = ""
    assert validation_error(document) is None


# --- uniqueItems --------------------------------------------------------------------------


def test_identical_interfaces_are_rejected(document):
    document["interfaces"].append(copy.deepcopy(document["interfaces"][ETH0]))
    message = validation_error(document)
    assert message.startswith('Invalid data in "#/interfaces", validator says:\n\n[')
    assert message.endswith("has non-unique elements")


def test_key_order_does_not_make_interfaces_different(document):
    eth0 = document["interfaces"][ETH0]
    document["interfaces"].append(dict(reversed(list(copy.deepcopy(eth0).items()))))
    assert validation_error(document).endswith("has non-unique elements")


def test_integral_floats_equal_integers_for_uniqueness():
    document = {"type": "DeviceMonitoring", "interfaces": [{"name": "a", "mtu": 1}, {"name": "a", "mtu": 1.0}]}
    assert validation_error(document).endswith("has non-unique elements")


@pytest.mark.parametrize(
    "first, second",
    [
        ({"name": "a", "x": True}, {"name": "a", "x": 1}),
        ({"name": "a", "x": [False]}, {"name": "a", "x": [0]}),
        ({"name": "a", "x": [1, 2]}, {"name": "a", "x": [2, 1]}),
        ({"name": "a", "x": "1"}, {"name": "a", "x": 1}),
        ({"name": "a", "x": None}, {"name": "a"}),
        ({"name": "a", "mtu": 1500}, {"name": "a", "mtu": 1400}),
    ],
)
def test_interfaces_that_differ_are_unique(first, second):
    assert validation_error({"type": "DeviceMonitoring", "interfaces": [first, second]}) is None


def test_identical_addresses_are_rejected(document):
    addresses = document["interfaces"][ETH0]["addresses"]
    addresses.append(dict(addresses[0]))
    assert validation_error(document).startswith('Invalid data in "#/interfaces/0/addresses", validator says:')


def test_many_interfaces_are_checked_for_uniqueness_quickly():
    # Pairwise comparison would need minutes for this many objects.
    interfaces = [{"name": f"eth{index}", "statistics": {"rx_bytes": index}} for index in range(20_000)]
    document = {"type": "DeviceMonitoring", "interfaces": interfaces}
    started = time.monotonic()
    assert validation_error(document) is None
    interfaces.append(dict(interfaces[0]))
    assert validation_error(document).endswith("has non-unique elements")
    assert time.monotonic() - started < 10


# --- mobile -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signal",
    [
        {},
        {"gsm": {"rssi": -70}},
        {"cdma1x": {"rssi": -70, "ecio": -5.5}},
        {"evdo": {"rssi": -70, "ecio": -5, "io": -90, "sinr": 3}},
        {"umts": {"ecio": 2}},
        {"umts": {"ecio": 2, "rscp": -14, "rssi": -80}},
        {"lte": {"rssi": -51}},
        {"lte": {"rsrp": -75}},
        {"lte": {"rsrq": -8.5}},
        {"lte": {"snr": 13}},
        {"5g": {"rssi": -51}},
        {"5g": {"rsrp": -75}},
        {"5g": {"rsrq": -8}},
        {"5g": {"snr": 13.5}},
        {"lte": {"rssi": -51, "band": "B3"}},
        {"lte": {"rssi": -51}, "threshold": {"rssi": 0, "error-rate": False}},
    ],
    ids=lambda signal: json.dumps(signal),
)
def test_valid_mobile_signals(signal):
    assert validation_error(mobile_document(signal=signal)) is None


@pytest.mark.parametrize(
    "signal, path, message",
    [
        ({"gsm": {}}, "gsm", "'rssi' is a required property"),
        ({"cdma1x": {"rssi": -70}}, "cdma1x", "'ecio' is a required property"),
        ({"evdo": {"rssi": -70, "ecio": -5, "sinr": 3}}, "evdo", "'io' is a required property"),
        ({"umts": {"rssi": -80, "rscp": -14}}, "umts", "'ecio' is a required property"),
        ({"gsm": {"rssi": "-70"}}, "gsm/rssi", "'-70' is not of type 'number'"),
        ({"lte": {"rssi": "-51"}}, "lte/rssi", "'-51' is not of type 'number'"),
        ({"5g": {"snr": "13"}}, "5g/snr", "'13' is not of type 'number'"),
        ({"umts": {"ecio": 2, "rscp": "-14"}}, "umts/rscp", "'-14' is not of type 'number'"),
        ({"lte": {"unknown_metric": -75}}, "lte",
         "{'unknown_metric': -75} is not valid under any of the given schemas"),
        ({"5g": {}}, "5g", "{} is not valid under any of the given schemas"),
    ],  # fmt: skip
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else None,
)
def test_invalid_mobile_signals(signal, path, message):
    assert validation_error(mobile_document(signal=signal)) == invalid(
        f"interfaces/0/mobile/signal/{path}", message
    )


@pytest.mark.parametrize("imei", ["123456789012345", "1234567890123456", "12345678901234567"])
def test_imei_of_15_to_17_digits_is_valid(imei):
    assert validation_error(mobile_document(imei=imei)) is None


@pytest.mark.parametrize(
    "imei",
    [
        "12345678901234",
        "123456789012345678",
        "12345678901234a",
        "123456789012345\n",
        " 123456789012345",
        "١٢٣٤٥٦٧٨٩٠١٢٣٤٥",  # Arabic-Indic digits are digits to Python's \d, not to us
        "",
    ],
    ids=repr,
)
def test_imei_must_be_15_to_17_ascii_digits(imei):
    message = validation_error(mobile_document(imei=imei))
    assert message.startswith('Invalid data in "#/interfaces/0/mobile/imei", validator says:')
    assert "does not match" in message


def test_imei_is_a_string():
    assert validation_error(mobile_document(imei=300000001234567)) == invalid(
        "interfaces/0/mobile/imei", "300000001234567 is not of type 'string'"
    )


@pytest.mark.parametrize("code", ["5050", "50502", "505020"])
def test_operator_code_of_4_to_6_digits_is_valid(code):
    assert validation_error(mobile_document(operator_code=code)) is None


@pytest.mark.parametrize("code", ["505", "5050200", "5050a", "50502\n"], ids=repr)
def test_operator_code_must_be_4_to_6_digits(code):
    message = validation_error(mobile_document(operator_code=code))
    assert message.startswith('Invalid data in "#/interfaces/0/mobile/operator_code", validator says:')
    assert "does not match" in message


# --- IP address formats -------------------------------------------------------------------


@pytest.mark.parametrize("address", ["192.168.1.23", "0.0.0.0", "::1", "fe80::46d1:faff:fe4b:3840", "2001:db8::1"])
def test_addresses_accept_ipv4_and_ipv6(document, address):
    document["interfaces"][ETH0]["addresses"][0]["address"] = address
    document["dhcp_leases"][0]["ip"] = address
    document["neighbors"][0]["ip"] = address
    assert validation_error(document) is None


@pytest.mark.parametrize(
    "path", [("interfaces", ETH0, "addresses", 0, "address"), ("dhcp_leases", 0, "ip"), ("neighbors", 1, "ip")],
    ids=path_of,
)
@pytest.mark.parametrize("address", ["256.0.0.1", "10.0.0.1/24", "10.0.0", "fe80::1::2", "host.lan", ""])
def test_addresses_reject_anything_else(document, path, address):
    at(document, path[:-1])[path[-1]] = address
    assert validation_error(document) == invalid(
        path_of(path), f"{address!r} is not valid under any of the given schemas"
    )


def test_address_is_a_string(document):
    document["neighbors"][0]["ip"] = 167772162
    assert validation_error(document) == invalid("neighbors/0/ip", "167772162 is not of type 'string'")


# --- hostile input ------------------------------------------------------------------------

TOO_DEEP = invalid("", f"the document is nested too deeply (the limit is {MAX_NESTING_DEPTH} levels)")


def test_nesting_up_to_the_limit_is_accepted():
    # The document itself is one level, so MAX_NESTING_DEPTH - 1 more fit.
    document = {"type": "DeviceMonitoring", "extra": nested(MAX_NESTING_DEPTH - 1)}
    assert validation_error(document) is None
    assert transform(document) == document


def test_nesting_beyond_the_limit_is_rejected():
    document = {"type": "DeviceMonitoring", "extra": nested(MAX_NESTING_DEPTH)}
    assert validation_error(document) == TOO_DEEP


def test_nesting_is_judged_the_same_with_the_text():
    """With the text, the walk over the document is spared when the text has too few
    brackets to nest that deep; brackets inside strings only make it walk for nothing."""
    for levels in (MAX_NESTING_DEPTH - 1, MAX_NESTING_DEPTH):
        document = {"type": "DeviceMonitoring", "extra": nested(levels)}
        text = json.dumps(document)
        assert validation_error(document, text) == validation_error(document)
    shallow = {"type": "DeviceMonitoring", "general": {"hostname": "[" * 100}}
    assert validation_error(shallow, json.dumps(shallow)) is None


def test_very_deep_document_is_invalid_instead_of_raising():
    deep: dict = {}
    for _ in range(100_000):
        deep = {"a": deep}
    document = {"type": "DeviceMonitoring", "general": {"hostname": "x", "extra": deep}}
    assert validation_error(document) == TOO_DEEP


def test_very_deep_duplicate_interfaces_are_invalid_instead_of_raising():
    # uniqueItems compares whole interfaces, so their depth matters too.
    interface = {"name": "eth0", "extra": nested(100_000)}
    document = {"type": "DeviceMonitoring", "interfaces": [interface, interface]}
    assert validation_error(document) == TOO_DEEP


def test_deep_non_object_document_is_invalid_instead_of_raising():
    assert validation_error(nested(100_000)) == TOO_DEEP


def test_recursion_error_during_validation_becomes_an_invalid_data_message(monkeypatch):
    class Exhausted:
        def iter_errors(self, document):
            raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(netjson, "_VALIDATOR", Exhausted())
    # An invalid document: the fast path declines it, so jsonschema runs (and fails).
    assert validation_error({"type": "DeviceMonitoring", "interfaces": [{}]}) == TOO_DEEP


# --- transform ----------------------------------------------------------------------------


def test_transform_returns_a_copy_and_leaves_the_input_alone(document):
    transformed = transform(document)
    assert document == FULL_EXAMPLE
    transformed["interfaces"][ETH0]["name"] = "changed"
    transformed["general"]["hostname"] = "changed"
    assert document == FULL_EXAMPLE


def test_transform_in_place_transforms_the_document_itself(document):
    expected = transform(copy.deepcopy(document))
    transformed = transform(document, in_place=True)
    assert transformed is document
    assert transformed == expected


def test_transform_of_the_full_example(document):
    expected = copy.deepcopy(FULL_EXAMPLE)
    wlan0 = expected["interfaces"][WLAN0]["wireless"]
    wlan0["bitrate"] = 1.1
    wlan0["clients"][0].update(vht=None, he=None)  # HT20: false vht/he become null
    expected["interfaces"][MESH0]["wireless"]["clients"][0]["vht"] = None
    expected["interfaces"][MOBILE0]["mobile"]["signal"] = {
        "lte": {"rssi": -51.0, "rsrp": -75.0, "rsrq": -8.0, "snr": 13.0},
        "umts": {"ecio": 2.0, "rscp": -14.0, "rssi": -80.0},
    }
    transformed = transform(document)
    assert transformed == expected
    # No vendor lookup: nothing is added to clients, neighbors or leases.
    assert json.dumps(transformed).count('"vendor"') == 0


def test_signal_values_become_floats():
    document = mobile_document(
        signal={
            "lte": {"rssi": -51, "rsrp": -75.5, "band": "B3"},
            "gsm": {"rssi": -70},
            "threshold": {"rssi": 0, "error-rate": False},
            "note": "kept",
        }
    )
    signal = transform(document)["interfaces"][0]["mobile"]["signal"]
    assert signal == {
        "lte": {"rssi": -51.0, "rsrp": -75.5, "band": "B3"},
        "gsm": {"rssi": -70.0},
        "threshold": {"rssi": 0.0, "error-rate": False},
        "note": "kept",
    }
    assert type(signal["lte"]["rssi"]) is float
    assert type(signal["gsm"]["rssi"]) is float
    assert type(signal["threshold"]["rssi"]) is float
    assert signal["threshold"]["error-rate"] is False


def test_mobile_without_signal_is_left_alone():
    document = mobile_document()
    assert transform(document) == document


def wireless_document(htmode: str | None, client: dict, **wireless) -> dict:
    radio = {
        "channel": 36, "country": "US", "frequency": 5180, "mode": "access_point",
        "noise": -95, "ssid": "testnet", "tx_power": 20, "clients": [{**CLIENT_REQUIRED, **client}], **wireless,
    }  # fmt: skip
    if htmode is not None:
        radio["htmode"] = htmode
    return {"type": "DeviceMonitoring", "interfaces": [{"name": "wlan0", "type": "wireless", "wireless": radio}]}


HTMODE_CASES = [
    ("NOHT", {"ht": True, "vht": False, "he": False}, {"ht": None, "vht": None, "he": None}),
    ("NOHT", {"ht": False, "vht": True, "he": True}, {"ht": None, "vht": None, "he": None}),
    ("NOHT", {"ht": True, "vht": True}, {"ht": None, "vht": None}),
    ("HT20", {"ht": True, "vht": False, "he": False}, {"ht": True, "vht": None, "he": None}),
    ("HT40", {"ht": True, "vht": True, "he": True}, {"ht": True, "vht": True, "he": True}),
    ("HT20", {"ht": False, "vht": False}, {"ht": False, "vht": None}),
    ("VHT80", {"ht": True, "vht": False, "he": False}, {"ht": True, "vht": False, "he": None}),
    ("VHT160", {"ht": True, "vht": True, "he": True}, {"ht": True, "vht": True, "he": True}),
    ("VHT80", {"ht": True, "vht": True}, {"ht": True, "vht": True}),
    ("HE80", {"ht": False, "vht": False, "he": False}, {"ht": False, "vht": False, "he": False}),
    ("HE20", {"ht": True, "vht": False}, {"ht": True, "vht": False}),
    (None, {"ht": True, "vht": False, "he": False}, {"ht": True, "vht": False, "he": False}),
]


@pytest.mark.parametrize(
    "htmode, client, expected",
    HTMODE_CASES,
    ids=[f"{htmode}-{json.dumps(client)}" for htmode, client, _ in HTMODE_CASES],
)
def test_htmode_rules(htmode, client, expected):
    document = wireless_document(htmode, client)
    assert validation_error(document) is None
    transformed_client = transform(document)["interfaces"][0]["wireless"]["clients"][0]
    assert {key: transformed_client[key] for key in ("ht", "vht", "he") if key in transformed_client} == expected
    # Everything else about the client is kept.
    assert {key: transformed_client[key] for key in CLIENT_REQUIRED} == CLIENT_REQUIRED


def test_htmode_without_clients_is_left_alone():
    document = wireless_document("NOHT", {"ht": True, "vht": False})
    del document["interfaces"][0]["wireless"]["clients"]
    assert transform(document) == document


def test_htmode_rules_apply_to_every_client():
    document = wireless_document("HT20", {"ht": True, "vht": False})
    clients = document["interfaces"][0]["wireless"]["clients"]
    clients.append({**clients[0], "mac": "b0:e1:7e:30:16:44", "he": False})
    transformed = transform(document)["interfaces"][0]["wireless"]["clients"]
    assert [(client["vht"], client.get("he", "absent")) for client in transformed] == [(None, "absent"), (None, None)]


@pytest.mark.parametrize(
    "bitrate, expected",
    [(1100, 1.1), (54000, 54.0), (866700, 866.7), (144444, 144.4), (0, 0.0), (1100.0, 1.1)],
)
def test_bitrate_goes_from_kbit_to_mbit(bitrate, expected):
    document = wireless_document("HT20", {"ht": True, "vht": True}, bitrate=bitrate)
    assert transform(document)["interfaces"][0]["wireless"]["bitrate"] == expected


def test_missing_or_non_numeric_bitrate_is_left_alone():
    document = wireless_document("HT20", {"ht": True, "vht": True})
    assert "bitrate" not in transform(document)["interfaces"][0]["wireless"]
    document = wireless_document("HT20", {"ht": True, "vht": True}, bitrate="1100")
    assert transform(document)["interfaces"][0]["wireless"]["bitrate"] == "1100"


def test_client_bitrate_is_not_converted():
    document = wireless_document("HT20", {"ht": True, "vht": True, "bitrate": 1100})
    assert transform(document)["interfaces"][0]["wireless"]["clients"][0]["bitrate"] == 1100


def test_transform_of_a_document_without_interfaces():
    assert transform({"type": "DeviceMonitoring"}) == {"type": "DeviceMonitoring"}


# --- helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("eth0.2", "eth0_2"),
        ("br-lan", "br_lan"),
        ("WAN", "wan"),
        ("wlan0", "wlan0"),
        ("mesh0-mng", "mesh0_mng"),
        ("Test metric-(1)", "test_metric_1"),
        ("eth0.", "eth0"),
        ("-lan-", "lan"),
        ("_lan_", "lan"),
        ("eth 0", "eth_0"),
        ("a - b", "a_b"),
        ("br--lan", "br_lan"),
        ("wan@pppoe", "wanpppoe"),
        ("wlán0", "wlan0"),
        ("eth0.100.2", "eth0_100_2"),
        ("", ""),
    ],
)
def test_normalise_ifname(name, expected):
    assert normalise_ifname(name) == expected


@pytest.mark.parametrize(
    "signal, expected",
    [
        ({"lte": {"rssi": -51}}, "lte"),
        ({"gsm": {"rssi": -70}}, "gsm"),
        ({"5g": {"snr": 13}}, "5g"),
        ({"threshold": {"rssi": 0}}, None),
        ({}, None),
        ({"lte": {}, "umts": {}}, "lte"),
        ({"gsm": {}, "cdma1x": {}}, "cdma1x"),
        ({"umts": {}, "evdo": {}}, "umts"),
        ({"cdma1x": {}, "evdo": {}, "gsm": {}}, "evdo"),
        ({tech: {} for tech in ("gsm", "cdma1x", "evdo", "umts", "lte", "5g")}, "5g"),
        ({"gsm": {}, "threshold": {}}, "gsm"),
        ({"threshold": {}, "refresh": {}}, None),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else str(value),
)
def test_access_technology(signal, expected):
    assert access_technology(signal) == expected


def test_access_technology_of_the_full_example_and_its_metric_value():
    signal = FULL_EXAMPLE["interfaces"][MOBILE0]["mobile"]["signal"]
    assert access_technology(signal) == "lte"
    assert ACCESS_TECHNOLOGIES.index("lte") == 4
    assert ACCESS_TECHNOLOGIES == ("gsm", "cdma1x", "evdo", "umts", "lte", "5g")
