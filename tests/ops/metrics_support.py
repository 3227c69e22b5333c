"""Reading a Prometheus text exposition in tests."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(exposition: str) -> dict[tuple[str, frozenset], float]:
    """``{(sample name, frozenset(labels)): value}``."""
    values = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            values[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return values


def value(exposition_samples: dict, name: str, **labels) -> float:
    """A sample's value, 0 when the series does not exist (yet)."""
    return exposition_samples.get((name, frozenset(labels.items())), 0.0)
