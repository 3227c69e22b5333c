"""What one device sample costs, without HTTP: the standard payload (bench/workload) stored
for 200 devices in turn by the function every device POST calls (``store_posted_sample``),
one at a time in this process. Prints the CPU per sample of this process (the app's share)
and of the database cluster, split by process, and with ``--statements`` the database's time
per statement (pg_stat_statements: the cluster is restarted with it loaded).

    .venv/bin/python bench/ingest_profile.py --rounds 8 --statements
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
import timeit
import uuid
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database_cluster, postmaster_pid, process_cpu_seconds, process_tree  # noqa: E402
from bench.ingest import create_devices  # noqa: E402
from bench.workload import make_payload  # noqa: E402

DEVICES = 200


def with_statement_statistics(cluster) -> None:
    """Restart the cluster with pg_stat_statements loaded, planning times included."""
    connection = psycopg2.connect(cluster.url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("ALTER SYSTEM SET shared_preload_libraries = timescaledb, pg_stat_statements")
    connection.close()
    cluster.stop()
    cluster.start()
    connection = psycopg2.connect(cluster.url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION pg_stat_statements")
        cursor.execute("ALTER SYSTEM SET pg_stat_statements.track_planning = on")
        cursor.execute("SELECT pg_reload_conf()")
    connection.close()


def statement_report(database_url: str, samples: int) -> list[str]:
    connection = psycopg2.connect(database_url)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT calls, total_plan_time, total_exec_time, wal_bytes, regexp_replace(query, '\\s+', ' ', 'g')
               FROM pg_stat_statements WHERE query NOT LIKE '%%pg_stat_statements%%'
               ORDER BY total_plan_time + total_exec_time DESC LIMIT 20""")
        rows = cursor.fetchall()
    connection.close()
    lines = [f"  {'calls':>6} {'plan µs':>8} {'run µs':>8} {'WAL B':>7}  per sample; statement"]
    for calls, plan_ms, run_ms, wal, query in rows:
        lines.append(f"  {calls:>6} {1000 * plan_ms / samples:8.1f} {1000 * run_ms / samples:8.1f} "
                     f"{int(wal) / samples:7.0f}  {query[:90]}")
    total = sum(1000 * (plan + run) / samples for _, plan, run, _, _ in rows)
    lines.append(f"  statements in all: {total:.0f} µs per sample")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=8, help="samples per device measured (after one each)")
    parser.add_argument("--statements", action="store_true", help="time each statement (pg_stat_statements)")
    args = parser.parse_args()

    with database_cluster() as cluster:
        if args.statements:
            with_statement_statistics(cluster)
        devices = create_devices(cluster.url, DEVICES)
        from blueprints.device_monitoring import store_posted_sample
        from monitoring import create_app

        bodies = [[json.dumps(make_payload(i, seq)).encode() for i in range(DEVICES)]
                  for seq in range(args.rounds + 1)]

        def store(index: int, seq: int) -> None:
            body, device = bodies[seq][index], devices[index]
            store_posted_sample(uuid.UUID(device["id"]), key=device["key"], stream=io.BytesIO(body),
                                content_length=len(body), mimetype="application/json", time=None, current=False)

        with create_app().app_context():
            for index in range(DEVICES):  # each device's first sample creates its metrics
                store(index, 0)
            if args.statements:
                connection = psycopg2.connect(cluster.url)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_stat_statements_reset()")
                connection.close()
            database_before = {pid: process_cpu_seconds(pid) for pid in process_tree(postmaster_pid(cluster))}
            began, app_before = time.perf_counter(), time.process_time()
            for seq in range(1, args.rounds + 1):
                for index in range(DEVICES):
                    store(index, seq)
            wall, app = time.perf_counter() - began, time.process_time() - app_before
            database = {pid: process_cpu_seconds(pid) - seconds for pid, seconds in database_before.items()}
        count = DEVICES * args.rounds
        print(f"{count} samples, one at a time: {1000 * wall / count:.2f} ms each; CPU per sample: "
              f"app {1000 * app / count:.2f} ms, database {1000 * sum(database.values()) / count:.2f} ms")
        for pid, seconds in sorted(database.items(), key=lambda item: -item[1]):
            if seconds * 1000 / count >= 0.005:
                try:
                    name = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip()[:60]
                except OSError:
                    name = str(pid)
                print(f"  {1000 * seconds / count:.3f} ms  {name}")
        if args.statements:
            print("\n".join(statement_report(cluster.url, count)))
    print(snapshot_encoding())
    return 0


def snapshot_encoding() -> str:
    """What writing the standard sample's snapshot as JSON costs, with the json module and as
    the ingest path writes it (``sample_store.snapshot_json``: orjson); best of five."""
    from monitoring import netjson
    from monitoring.timeseries.sample_store import snapshot_json

    document = netjson.transform(make_payload(0, 1))
    times = {}
    for name, encode in (("json module", json.dumps), ("snapshot_json", snapshot_json)):
        times[name] = min(timeit.repeat(lambda encode=encode: encode(document), number=5000, repeat=5)) / 5000
    return "snapshot as JSON: " + ", ".join(f"{name} {1e6 * seconds:.1f} µs" for name, seconds in times.items())


if __name__ == "__main__":
    sys.exit(main())
