"""The service's own Prometheus metrics (not to be confused with the devices' metrics).

Under gunicorn every worker is a process of its own: with ``PROMETHEUS_MULTIPROC_DIR`` set
(``gunicorn.conf.py`` prepares it before the workers start) each worker writes its values to
memory-mapped files there and a scrape, whichever worker answers it, adds up the files of
all workers, dead ones included, so counts survive worker restarts. Without the variable
(``flask run``, tests) the values live in this process.

Label values are bounded on purpose: endpoints are Flask url rules (``/api/v1/controller/
device/<uuid:object_id>/``), never raw paths, and statuses are HTTP codes.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sized

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

# ``*_created`` timestamps double the output in one process and do not exist across
# processes: the exposition is the same with one worker or several.
disable_created_metrics()

http_requests = Counter(
    "monitoring_http_requests", "HTTP requests answered, by method, endpoint (url rule) and status.",
    ["method", "endpoint", "status"],
)
http_request_duration = Histogram(
    "monitoring_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, endpoint (url rule) and status.",
    ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
device_samples = Counter(
    "monitoring_device_samples",
    "Device monitoring samples received (POST of a device's data): result is accepted (2xx), "
    "rejected (4xx: bad key, unknown device, invalid body) or failed (5xx).",
    ["result", "status"],
)
points_written = Counter(
    "monitoring_points_written", "Timeseries points written, by measurement (hypertable).", ["measurement"],
)
database_errors = Counter(
    "monitoring_database_errors",
    "Errors raised by the database or its driver, by DB-API class (OperationalError, "
    "IntegrityError, …), plus PoolTimeout when no connection was free in time.",
    ["kind"],
)
heavy_reads = Counter(
    "monitoring_heavy_reads",
    "Requests whose reads may go to a replica (DATABASE_REPLICA_URLS), by where they were served "
    "(replica or primary) and why (caught up, replica down, replay paused, lagging, not caught up "
    "in time, not a standby, replica failed).",
    ["served_by", "reason"],
)

# Label children are looked up once per distinct label set: ``labels()`` takes a lock and
# builds keys, which the hot path (every device POST) need not pay each time.
_request_children: dict[tuple[str, str, int], tuple] = {}
_sample_children: dict[int, object] = {}
_points_children: dict[str, object] = {}


def record_request(*, method: str, endpoint: str, status: int, seconds: float) -> None:
    key = (method, endpoint, status)
    children = _request_children.get(key)
    if children is None:
        labels = (method, endpoint, str(status))
        children = _request_children[key] = (
            http_requests.labels(*labels), http_request_duration.labels(*labels),
        )
    children[0].inc()
    children[1].observe(seconds)


def record_heavy_read(served_by: str, reason: str) -> None:
    heavy_reads.labels(served_by, reason).inc()


def sample_result(status: int) -> str:
    if status < 400:
        return "accepted"
    return "rejected" if status < 500 else "failed"


def record_device_sample(*, status: int) -> None:
    child = _sample_children.get(status)
    if child is None:
        child = _sample_children[status] = device_samples.labels(sample_result(status), str(status))
    child.inc()


def record_points_written(rows_by_measurement: Mapping[str, Sized | int]) -> None:
    """Count the points of a committed sample: ``{"traffic_points": rows, ...}`` (rows or a
    number). Called by the ingest service once its transaction is committed."""
    for measurement, rows in rows_by_measurement.items():
        count = rows if isinstance(rows, int) else len(rows)
        if count:
            child = _points_children.get(measurement)
            if child is None:
                child = _points_children[measurement] = points_written.labels(measurement)
            child.inc(count)


def record_database_error(kind: str) -> None:
    database_errors.labels(kind).inc()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _ProcessRegistry:
    """This process's default registry seen as a collector, to be combined with others."""

    def collect(self) -> Iterable:
        return REGISTRY.collect()


def exposition(extra_collectors: Iterable = ()) -> tuple[bytes, str]:
    """The text exposition of every worker's metrics plus ``extra_collectors`` (computed
    at scrape time, e.g. devices by health status), and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ProcessRegistry())
    for collector in extra_collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST
