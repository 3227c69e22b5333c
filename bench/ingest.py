"""W1 ingest benchmark (bench/workload/README.md): 200 devices, each primed with one sample,
then wrk -t2 -c8 for 60 s posting the standard payload to gunicorn as ``make run`` starts
it. Prints accepted samples/s, points/s, latency, non-2xx, peak RSS, and checks that the
stored points equal 15 × the acknowledged samples.

    make bench-ingest                 # or: .venv/bin/python bench/ingest.py --duration 60
    .venv/bin/python bench/ingest.py --pgbouncer   # the same through PgBouncer, transaction mode
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bulk_load import load_history  # noqa: E402
from bench.common import (  # noqa: E402
    MAKE_RUN_WORKERS,
    PeakRss,
    cpu_delta_by_kind,
    cpu_seconds,
    database_cluster,
    gunicorn,
    pgbouncer,
    postgres_cpu_by_kind,
    postmaster_pid,
    prime_devices,
    tree_pss_mib,
    worker_pids,
    wrk_errors,
    wrk_posts,
)

POINTS_PER_SAMPLE = 15


def apply_settings(database_url: str, settings: list[str]) -> None:
    """``NAME=VALUE`` settings for the cluster (ALTER SYSTEM, then a reload), to compare a
    setting with ``make run``'s (scripts/db.sh); a kept cluster keeps them."""
    if not settings:
        return
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        for setting in settings:
            name, _, value = setting.partition("=")
            cursor.execute(f"ALTER SYSTEM SET {psycopg2.extensions.quote_ident(name.strip(), cursor)} = %s",
                           (value.strip(),))
        cursor.execute("SELECT pg_reload_conf()")
    connection.close()
    print(f"settings for this run: {', '.join(settings)}")


def kept_history(database_url: str, *, devices: int) -> list[dict]:
    """The bulk-loaded devices a kept cluster already has (``load_history``'s result), if
    there are enough of them; else nothing."""
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("""SELECT id, key, substring(name FROM 11)::int FROM devices
                              WHERE name LIKE 'bench-dev-%' ORDER BY 3""")
            rows = cursor.fetchall()
    finally:
        connection.close()
    if len(rows) < devices:
        return []
    return [{"id": str(device_id), "key": key, "index": index} for device_id, key, index in rows]


def create_devices(database_url: str, count: int) -> list[dict]:
    os.environ["DATABASE_URL"] = database_url
    from monitoring import create_app
    from monitoring.extensions import db
    from monitoring.models import Device, DeviceMonitoring, Organization
    from monitoring.services.inventory.devices import generate_key

    app = create_app()
    with app.app_context():
        org = Organization(name="bench", slug="bench")
        db.session.add(org)
        db.session.flush()
        devices = []
        for i in range(count):
            device = Device(organization_id=org.id, name=f"bench-dev-{i:03d}",
                            mac_address=f"02:00:00:00:{i // 256:02x}:{i % 256:02x}", key=generate_key())
            device.monitoring = DeviceMonitoring(status="unknown")
            db.session.add(device)
            devices.append(device)
        db.session.commit()
        return [{"id": str(d.id), "key": d.key} for d in devices]


def stored(database_url: str) -> tuple[int, int]:
    """(points, samples) in the database; every standard sample has exactly one cpu point."""
    from monitoring import create_app
    from monitoring.extensions import db
    from monitoring.timeseries.counts import count_points

    os.environ["DATABASE_URL"] = database_url
    app = create_app()
    with app.app_context():
        counts = count_points(db.session)
        return sum(counts.values()), counts["cpu_points"]


def database_counters(database_url: str) -> dict:
    """The cluster's WAL and the database's buffer reads so far, for what a sample costs in
    them."""
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT wal_bytes, wal_fpi FROM pg_stat_wal")
        wal_bytes, wal_fpi = cursor.fetchone()
        cursor.execute("SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()")
        hit, read = cursor.fetchone()
        cursor.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
        checkpoints = cursor.fetchone()[0]
    connection.close()
    return {"wal_bytes": int(wal_bytes), "wal_fpi": wal_fpi, "hit": hit, "read": read, "checkpoints": checkpoints,
            **cpu_times()}


def cpu_times() -> dict:
    """The machine's CPU time so far, in clock ticks: in all, and waiting for I/O (iowait:
    idle while a disk read or write was pending)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return {"cpu_ticks": sum(fields), "iowait_ticks": fields[4]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=MAKE_RUN_WORKERS,
                        help="gunicorn workers (default: 2 per CPU, as make run starts it)")
    parser.add_argument("--history-days", type=int, default=0,
                        help="first bulk-load this many days of history (the scale run uses 30)")
    parser.add_argument("--history-devices", type=int, default=1000)
    parser.add_argument("--keep-cluster", type=Path, metavar="DATA_DIR",
                        help="keep the database cluster in this directory and use it again next time: "
                             "the history is loaded only once (30 days x 1,000 devices take about 35 GB)")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a PostgreSQL setting for this run (ALTER SYSTEM), e.g. commit_delay=0; repeatable")
    parser.add_argument("--pgbouncer", action="store_true",
                        help="serve through PgBouncer in transaction pooling mode (DB_TRANSACTION_POOLING=1)")
    args = parser.parse_args()

    with database_cluster(kept=args.keep_cluster) as cluster:
        database_url = cluster.url
        history = kept_history(database_url, devices=max(args.history_devices, args.devices))
        if args.history_days and history:
            devices = history[: args.devices]
            print(f"history kept in {args.keep_cluster}: {len(history)} devices, {stored(database_url)[0]} points")
        elif args.history_days:
            began = time.monotonic()
            print(f"loading {args.history_days} days x {args.history_devices} devices of history ...", flush=True)
            history = load_history(database_url, devices=max(args.history_devices, args.devices),
                                   days=args.history_days, log=lambda line: print(line, flush=True))
            devices = history[: args.devices]
            print(f"history loaded in {time.monotonic() - began:.0f} s: {stored(database_url)[0]} points")
        else:
            devices = create_devices(database_url, args.devices)
        apply_settings(database_url, args.setting)
        points_before, samples_before = stored(database_url)
        extra_env = {"WEB_CONCURRENCY": str(args.workers)}
        with ExitStack() as stack:
            app_database_url = database_url
            if args.pgbouncer:
                app_database_url = stack.enter_context(pgbouncer(database_url))
                extra_env["DB_TRANSACTION_POOLING"] = "1"
            base, process = stack.enter_context(gunicorn(app_database_url, **extra_env))
            prime_devices(base, devices)
            # This cluster's processes only: other clusters on the machine are not ours to count.
            postmaster = postmaster_pid(cluster)
            counters_before = database_counters(database_url)
            app_cpu, db_cpu = cpu_seconds(process.pid), cpu_seconds(postmaster)
            db_by_kind = postgres_cpu_by_kind(postmaster)
            with PeakRss(process.pid) as app_memory:
                wrk = wrk_posts(base, devices, seconds=args.duration, connections=args.connections,
                                threads=args.threads)
                database_memory = tree_pss_mib(postmaster)
                worker_memory = [tree_pss_mib(pid) for pid in worker_pids(process.pid)]
            app_cpu, db_cpu = cpu_seconds(process.pid) - app_cpu, cpu_seconds(postmaster) - db_cpu
            db_by_kind = cpu_delta_by_kind(db_by_kind, postgres_cpu_by_kind(postmaster))
            counters = database_counters(database_url)
            counters = {name: value - counters_before[name] for name, value in counters.items()}
        stored_points, stored_samples = stored(database_url)

    seconds = wrk["duration_us"] / 1e6
    errors = wrk_errors(wrk)
    accepted = wrk["requests"] - wrk["err_status"] - wrk["err_timeout"] - wrk["err_read"]
    acknowledged = accepted + len(devices)
    history = ""
    if args.history_days:
        history = f", after {args.history_days} days x {args.history_devices} devices of history"
    if args.pgbouncer:
        history += ", through PgBouncer (transaction mode)"
    print(f"W1 ingest{history}: {args.devices} devices, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
          f"gunicorn workers: {args.workers}")
    print(f"  requests              {wrk['requests']} in {seconds:.1f} s, non-2xx/errors: {errors}")
    print(f"  accepted samples/s    {accepted / seconds:.1f}")
    print(f"  points/s              {POINTS_PER_SAMPLE * accepted / seconds:.0f}")
    print(f"  latency p50 / p99     {wrk['lat_p50_us'] / 1000:.1f} ms / {wrk['lat_p99_us'] / 1000:.1f} ms "
          f"(max {wrk['lat_max_us'] / 1000:.1f} ms)")
    print(f"  peak RSS              gunicorn {app_memory.peak_mib:.0f} MiB in {app_memory.processes} processes")
    print(f"  memory (PSS) at end   gunicorn workers {', '.join(f'{mib:.0f}' for mib in worker_memory)} MiB; "
          f"postgres {database_memory:.0f} MiB")
    print(f"  CPU per sample        app {1000 * app_cpu / accepted:.2f} ms, database {1000 * db_cpu / accepted:.2f} ms")
    # Which of the database's processes used it: the backends serving the samples, or work
    # beside them (autovacuum, the checkpointer, the background writer, ...).
    print("  database CPU by process " + ", ".join(
        f"{kind} {1000 * seconds / accepted:.3f}" for kind, seconds in sorted(db_by_kind.items(), key=lambda kv: -kv[1])
        if 1000 * seconds / accepted >= 0.0005) + " ms per sample")
    blocks = counters["hit"] + counters["read"]
    print(f"  database per sample   WAL {counters['wal_bytes'] / accepted:.0f} bytes "
          f"({counters['wal_fpi'] / accepted:.2f} full-page images), "
          f"buffer hit ratio {100 * counters['hit'] / blocks if blocks else 100:.2f} % "
          f"({counters['read'] / accepted:.2f} blocks read), checkpoints during the run: {counters['checkpoints']}")
    print(f"  machine during the run waiting for I/O {100 * counters['iowait_ticks'] / counters['cpu_ticks']:.2f} % "
          f"of its CPU time (iowait)")
    # wrk stops with up to one request per connection in flight: the server may have
    # committed those without wrk counting the answer. So: nothing acknowledged is missing,
    # at most `connections` more are stored, and every stored sample has all its points.
    stored_points -= points_before
    stored_samples -= samples_before
    in_flight = stored_samples - acknowledged
    complete = stored_points == POINTS_PER_SAMPLE * stored_samples
    no_loss = 0 <= in_flight <= args.connections
    print(f"  stored (this run)     {stored_points} points = 15 x {stored_samples} samples "
          f"({acknowledged} acknowledged + {in_flight} in flight at the cut-off): "
          f"{'OK' if complete and no_loss else 'MISMATCH'}")
    return 0 if complete and no_loss else 1


if __name__ == "__main__":
    sys.exit(main())
