"""Read benchmarks: W2 device detail, W3 dashboard, W4 device list (bench/workload/README.md)
after the standard 7-day back-fill of 200 devices; then the scale run: 1,000 devices × 30
days of 5-minute samples in 10 organizations, every range of the device detail and the
dashboard, the device list, the 30-day availability reports (also alone, from the checks'
points only: ``--only availability``); then the limits run: one device at the default ingest limits
(256 metrics: 127 interfaces with traffic, 126 of them wireless with WiFi clients, cpu,
memory, disk) with 30 days of 5-minute samples, every range of its device detail. History is
bulk-loaded straight into the hypertables (the rows the POST would store: bench/bulk_load.py),
then the rollups are refreshed with the real command's function (the watermark 6 minutes
behind the newest point, as a worker refreshing every 5 minutes leaves it). Requests go one
at a time to gunicorn as ``make run`` starts it, as a superuser, the cases interleaved.
Prints p50/p99 per case, and EXPLAIN (ANALYZE, BUFFERS) of the slowest sub-select of the
slowest case.

    make bench-read                       # or: .venv/bin/python bench/read.py [--only limits]
    .venv/bin/python bench/read.py --only standard --replica    # W2-W4 on the primary, then on a replica
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bulk_load import CHECK_TABLES, LIMITS_INTERFACES, POINTS_SQL, load_history, load_limits_device  # noqa: E402
from bench.common import (  # noqa: E402
    PeakRss,
    cpu_seconds,
    database,
    database_cluster,
    gunicorn,
    postgres_rss_mib,
    postmaster_pid,
    replica,
)

# W3 asks for the dashboard traffic interfaces to include eth0 (the standard payload has
# eth0 and wlan0).
TRAFFIC_CHART = json.dumps({"__all__": ["wan", "eth1", "eth0.2", "eth0"]})
# A worker refreshes rollups every 5 minutes with a 1-minute settling delay: requests read
# up to 6 minutes of the newest points raw.
REFRESH_LAG = timedelta(minutes=6)


def bench_app(database_url: str):
    """The application on this database (config.py reads the environment once per process,
    and this benchmark uses two databases in turn)."""
    from config import Config
    from config import database_url as driver_url
    from monitoring import create_app

    return create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": driver_url(database_url)}))


def superuser_token(database_url: str) -> str:
    from monitoring.extensions import db
    from monitoring.models import User
    from monitoring.services.accounts import tokens
    from monitoring.services.accounts.users import hash_password

    with bench_app(database_url).app_context():
        user = User(username="bench-reader", password_hash=hash_password("bench-reader-pw"), is_superuser=True)
        db.session.add(user)
        db.session.commit()
        return tokens.issue_token(user=user)


def refresh_rollups(database_url: str) -> str:
    """The refresh a periodic worker runs, as it would have run last: its watermark
    ``REFRESH_LAG`` before the newest point, so requests also read that tail raw."""
    from sqlalchemy import text

    from monitoring.extensions import db
    from monitoring.timeseries.rollups import refresh_rollups as refresh

    with bench_app(database_url).app_context():
        newest = db.session.execute(text(
            "SELECT greatest((SELECT max(time) FROM cpu_points), (SELECT max(time) FROM ping_points))")).scalar()
        started = time.monotonic()
        result = refresh(db.session, until=newest - REFRESH_LAG)
        refreshed = time.monotonic() - started
    settle(database_url)
    return (f"{result.hours} hours, {result.rows} rollup rows in {refreshed:.0f} s; watermark "
            f"{REFRESH_LAG.seconds // 60} min before the newest point")


def settle(database_url: str) -> None:
    """As after the bulk load: the rollups' visibility map set and statistics taken, as
    autovacuum keeps them in a running system, and no checkpoint of the refresh pending, so
    neither runs during the measurements."""
    import psycopg2

    conn = psycopg2.connect(database_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)")
            cur.execute("CHECKPOINT")
    finally:
        conn.close()


def prepare(database_url: str, *, devices: int, days: int, organizations: int,
            tables: tuple[str, ...] = tuple(POINTS_SQL)) -> dict:
    started = time.monotonic()
    loaded = load_history(database_url, devices=devices, days=days, organizations=organizations, tables=tables,
                          log=lambda line: None)
    print(f"  bulk load: {devices} devices x {days} days in {organizations} organization(s): "
          f"{time.monotonic() - started:.0f} s")
    print(f"  rollups: {refresh_rollups(database_url)}")
    return {"devices": loaded, "token": superuser_token(database_url)}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _get(http: requests.Session, base: str, path: str) -> float:
    started = time.perf_counter()
    response = http.get(base + path, timeout=60)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
    return elapsed


def run_cases(base: str, token: str, cases: list[tuple[str, list[str]]], *, warmup: int = 3,
              cpu: dict[str, Callable[[], float]] | None = None) -> dict:
    """One request at a time, the cases interleaved (request i of every case, then i + 1):
    a burst of load from elsewhere on the machine hits every case alike, so the cases of one
    run compare fairly. Milliseconds at p50/p99 per case; with ``cpu`` (what each named
    process tree has used so far, in seconds), also the mean CPU milliseconds per request
    of each."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    for _, paths in cases:
        for index in range(warmup):
            _get(http, base, paths[index % len(paths)])
    latencies: dict[str, list[float]] = {name: [] for name, _ in cases}
    used: dict[str, dict[str, float]] = {name: dict.fromkeys(cpu or (), 0.0) for name, _ in cases}
    for index in range(max(len(paths) for _, paths in cases)):
        for name, paths in cases:
            if index < len(paths):
                before = {tree: seconds() for tree, seconds in (cpu or {}).items()}
                latencies[name].append(_get(http, base, paths[index]))
                for tree, seconds in (cpu or {}).items():
                    used[name][tree] += seconds() - before[tree]
    results = {}
    for name, paths in cases:
        values = latencies[name]
        results[name] = {"p50": percentile(values, 0.5), "p99": percentile(values, 0.99), "n": len(values),
                         "path": paths[0], **{f"cpu {tree}": 1000 * total / len(values)
                                              for tree, total in used[name].items()}}
        per_request = "".join(f"   CPU {tree} {1000 * total / len(values):6.1f} ms"
                              for tree, total in used[name].items())
        print(f"  {name:<40} p50 {results[name]['p50']:7.1f} ms   p99 {results[name]['p99']:7.1f} ms"
              f"   ({len(values)} requests){per_request}")
    return results


def device_paths(devices: list[dict], time_range: str, count: int) -> list[str]:
    """``count`` requests over as many devices (one device after another, none twice)."""
    return [f"/api/v1/monitoring/device/{devices[i % len(devices)]['id']}/?time={time_range}" for i in range(count)]


def explain_slowest(database_url: str, path: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest chart statement of a request path, built by
    the same services the request uses."""
    import uuid
    from urllib.parse import parse_qs, urlsplit

    from sqlalchemy import select

    from monitoring.extensions import db
    from monitoring.models import User
    from monitoring.services.charts import dashboard
    from monitoring.services.charts import device as device_charts
    from monitoring.services.charts import window as chart_window
    from monitoring.services.charts.builder import chart_statements
    from monitoring.timeseries.chart_queries import explain

    with bench_app(database_url).app_context():
        parts = urlsplit(path)
        args = {name: values[0] for name, values in parse_qs(parts.query).items()}
        window = chart_window.window_from(args)
        if "/dashboard/" in parts.path:
            user = db.session.execute(select(User).where(User.username == "bench-reader")).scalar_one()
            scope = dashboard.scope(user=user, organization_slug=args.get("organization_slug"))
            chart_requests = dashboard.chart_requests(scope)
        else:
            chart_requests = device_charts.chart_requests(uuid.UUID(parts.path.rstrip("/").rsplit("/", 1)[-1]))
        slowest = (0.0, "")
        for served, sql, params in chart_statements(chart_requests, window=window):
            plan = explain(db.session, sql, params)
            executed = float(plan.rsplit("Execution Time: ", 1)[1].split(" ms")[0])
            planned = float(plan.rsplit("Planning Time: ", 1)[1].split(" ms")[0])
            if executed + planned > slowest[0]:
                slowest = (executed + planned, f"-- {served}\n{plan}")
        return slowest[1]


def print_slowest(database_url: str, results: dict) -> None:
    slowest = max(results, key=lambda name: results[name]["p50"])
    print(f"\nSlowest case: {slowest}; its slowest statement, EXPLAIN (ANALYZE, BUFFERS):")
    print(explain_slowest(database_url, results[slowest]["path"]))


def standard(args) -> dict:
    print("Standard workload: 200 devices, 7 days of 5-minute samples (6.05 M points)")
    with database_cluster() as cluster:
        data = prepare(cluster.url, devices=200, days=7, organizations=1)
        devices = data["devices"]
        cases = [
            ("W2 device detail time=1d", device_paths(devices, "1d", 50)),
            ("W2 device detail time=7d", device_paths(devices, "7d", 50)),
            ("W3 dashboard time=1d", ["/api/v1/monitoring/dashboard/?time=1d"] * 20),
            ("W3 dashboard time=7d", ["/api/v1/monitoring/dashboard/?time=7d"] * 20),
            ("W4 device list page_size=100", ["/api/v1/monitoring/device/?page_size=100"] * 50),
        ]
        with gunicorn(cluster.url) as (base, process):
            # What a read costs, for capacity planning (docs/operations.md).
            postmaster = postmaster_pid(cluster)
            cpu = {"app": lambda: cpu_seconds(process.pid), "database": lambda: cpu_seconds(postmaster)}
            with PeakRss(process.pid) as memory:
                results = run_cases(base, data["token"], cases, cpu=cpu)
            print(f"  peak RSS: gunicorn {memory.peak_mib:.0f} MiB in {memory.processes} processes; "
                  f"postgres {postgres_rss_mib():.0f} MiB")
        if args.replica:
            # The same reads on a streaming replica (DATABASE_REPLICA_URLS): what waiting for
            # it to have replayed the primary's latest writes costs (docs/scale-out.md).
            with replica(cluster) as replica_url, gunicorn(cluster.url, DATABASE_REPLICA_URLS=replica_url) as (base, _):
                on_replica = run_cases(base, data["token"], cases)
            results.update({f"{name}, on the replica": result for name, result in on_replica.items()})
    return results


def scale(args) -> dict:
    print(f"Scale: {args.devices} devices x {args.days} days of 5-minute samples in 10 organizations "
          f"({args.devices * args.days * 288 * 15 / 1e6:.1f} M points)")
    with database() as database_url:
        data = prepare(database_url, devices=args.devices, days=args.days, organizations=10)
        devices = data["devices"]
        dashboard = "/api/v1/monitoring/dashboard/?time={}"
        one_org = dashboard + "&organization_slug=bench-0"
        cases = [(f"device detail time={r}", device_paths(devices, r, 50)) for r in ("1d", "7d", "30d", "365d")]
        cases += [(f"dashboard all time={r}", [dashboard.format(r)] * 20) for r in ("1d", "7d", "30d", "365d")]
        cases += [(f"dashboard one org time={r}", [one_org.format(r)] * 20) for r in ("1d", "7d", "30d", "365d")]
        cases += [("device list page_size=100", ["/api/v1/monitoring/device/?page_size=100"] * 50)]
        cases += availability_cases(devices)
        with gunicorn(database_url) as (base, process):
            with PeakRss(process.pid) as memory:
                results = run_cases(base, data["token"], cases)
            print(f"  peak RSS: gunicorn {memory.peak_mib:.0f} MiB in {memory.processes} processes; "
                  f"postgres {postgres_rss_mib():.0f} MiB")
        charts = {name: result for name, result in results.items() if "list" not in name and "availability" not in name}
        print_slowest(database_url, charts)
    return results


def availability_cases(devices: list[dict]) -> list[tuple[str, list[str]]]:
    """Availability reports over 30 days: every device (one page and the aggregates, and the
    CSV of all of them), one organization's, one device's."""
    report = "/api/v1/monitoring/availability/?time=30d"
    return [
        ("availability all time=30d", [report] * 20),
        ("availability all time=30d csv", [report + "&csv=true"] * 20),
        ("availability one org time=30d", [report + "&organization_slug=bench-0"] * 20),
        ("device availability time=30d", [f"/api/v1/monitoring/device/{devices[i]['id']}/availability/?time=30d"
                                          for i in range(0, 50 * 20, 20)]),
    ]


def availability(args) -> dict:
    print(f"Availability: {args.devices} devices x {args.days} days of ping and data-collected points "
          f"in 10 organizations ({args.devices * args.days * 288 * 2 / 1e6:.1f} M points)")
    with database() as database_url:
        data = prepare(database_url, devices=args.devices, days=args.days, organizations=10, tables=CHECK_TABLES)
        with gunicorn(database_url) as (base, process):
            results = run_cases(base, data["token"], availability_cases(data["devices"]))
    return results


def limits(args) -> dict:
    print(f"Limits: one device at the default ingest limits ({LIMITS_INTERFACES} interfaces, "
          f"{args.limits_days} days of 5-minute samples)")
    with database() as database_url:
        started = time.monotonic()
        device = load_limits_device(database_url, days=args.limits_days, log=lambda line: None)
        print(f"  bulk load: {device['metrics']} metrics, {device['points'] / 1e6:.1f} M points in "
              f"{time.monotonic() - started:.0f} s")
        print(f"  rollups: {refresh_rollups(database_url)}")
        token = superuser_token(database_url)
        path = f"/api/v1/monitoring/device/{device['id']}/?time={{}}"
        cases = [(f"limits device detail time={r}", [path.format(r)] * args.limits_requests)
                 for r in ("1d", "7d", "30d", "365d")]
        with gunicorn(database_url) as (base, process):
            with PeakRss(process.pid) as memory:
                results = run_cases(base, token, cases)
            print(f"  peak RSS: gunicorn {memory.peak_mib:.0f} MiB in {memory.processes} processes; "
                  f"postgres {postgres_rss_mib():.0f} MiB")
        print_slowest(database_url, results)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000, help="devices of the scale run")
    parser.add_argument("--days", type=int, default=30, help="days of the scale run")
    parser.add_argument("--skip-standard", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-limits", action="store_true")
    parser.add_argument("--only", choices=("standard", "scale", "limits", "availability"),
                        help="run this part only (e.g. --only limits: the device at the ingest limits; "
                        "--only availability: the availability reports at the scale run's size, "
                        "with the checks' points alone)")
    parser.add_argument("--limits-days", type=int, default=30, help="days of the limits run")
    parser.add_argument("--limits-requests", type=int, default=30, help="requests per range of the limits run")
    parser.add_argument("--replica", action="store_true",
                        help="the standard workload again with its reads on a streaming replica")
    args = parser.parse_args()
    # Read by config.py when the application is first imported, here and in gunicorn.
    os.environ["MONITORING_DASHBOARD_TRAFFIC_CHART"] = TRAFFIC_CHART
    results = {}
    for name, part, skipped in (("standard", standard, args.skip_standard), ("scale", scale, args.skip_scale),
                                ("limits", limits, args.skip_limits),
                                ("availability", availability, False)):
        if (args.only or name) == name and not skipped and (name != "availability" or args.only):
            results.update(part(args))
    print("\n| case | p50 ms | p99 ms |\n|---|---:|---:|")
    for name, result in results.items():
        print(f"| {name} | {result['p50']:.1f} | {result['p99']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
