"""The compiled fast-path validator must never accept a document jsonschema rejects (nor
the other way round): generated mutations of realistic documents, both validators, same
verdict."""
from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.workload import make_payload
from monitoring import netjson
from tests.ingest.test_netjson import FULL_EXAMPLE

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([5.0, 0, 1, -1, "", "x"]),
    st.text(max_size=8), st.sampled_from(["10.0.0.1", "01.2.3.4", "::1", "fe80::1%eth0", "1.2.3", "300000001234567"]),
)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["name", "type", "rssi", "mac", "x"]), inner, max_size=3), max_leaves=6)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


# The full example of docs/api.md §7.1 and the benchmark workload's sample.
BASES = [FULL_EXAMPLE, make_payload(3, 7)]


@st.composite
def mutated_documents(draw):
    document = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(document) if p]
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "duplicate", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(json_value)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "vendor", "he", "signal"]))] = draw(json_value)
    return document


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_fast_path_and_jsonschema_agree(document):
    assert netjson._fast_valid(document) == netjson._VALIDATOR.is_valid(document)


def test_the_bases_are_valid():
    for document in BASES:
        assert netjson._fast_valid(document)
        assert netjson.validation_error(document) is None


def test_interfaces_of_one_name_are_compared_whole():
    """Interfaces with distinct names are unique at once; of one name, the whole objects
    decide, with JSON Schema's equality (1500 equals 1500.0)."""
    document = make_payload(3, 7)
    eth0 = document["interfaces"][0]
    variants = {
        "the same interface twice": ([eth0, copy.deepcopy(eth0)], False),
        "one name, another MTU": ([eth0, {**eth0, "mtu": 9000}], True),
        "one name, the same MTU as a float": ([eth0, {**eth0, "mtu": 1500.0}], False),
        "another name": ([eth0, {**eth0, "name": "eth1"}], True),
    }
    for case, (interfaces, valid) in variants.items():
        candidate = {**document, "interfaces": interfaces}
        assert netjson._fast_valid(candidate) is valid, case
        assert netjson._VALIDATOR.is_valid(candidate) is valid, case
