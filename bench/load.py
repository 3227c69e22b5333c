"""Load with faults: many devices posting at their rhythm and users reading charts, for a
fixed time, with a database restart and a killed gunicorn worker in the middle.

Each simulated device posts the standard sample (bench/workload/payload.py) every ``--period``
seconds with its own ``time``, so every sample is identifiable in the database. A sample
that is not answered 200 is resent, same time and body, at the device's next turn, as an
agent that keeps its unsent data does. Readers open device charts (``?time=1d``) and the
dashboard with a superuser's token. A third of the way through, the database is stopped
(fast shutdown) for ``--outage`` seconds and started again; at two thirds, the gunicorn
worker storing a sample is killed with SIGKILL after the sample's points are inserted and
before they are committed (a lock held by the benchmark pins it there).

Every request's outcome and latency is recorded. Afterwards, per device: the samples
answered 200 are all stored, nothing is stored that was not sent, and every stored sample
has all its 15 points. Exits non-zero when that or a bound of the outage fails: a request
slower than the pool and connect timeouts allow, an error other than 503 (with a JSON body
and Retry-After) besides the request of the killed worker, or 503s going on after the
database is back.

    make bench-load                       # or: .venv/bin/python bench/load.py --duration 60
    make bench-load BENCH_ARGS="--no-faults --devices 1000"
"""
from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    MAKE_RUN_WORKERS,
    PeakRss,
    connection_owners,
    database_cluster,
    gunicorn,
    postgres_rss_mib,
    worker_pids,
    workers_mid_request,
)
from bench.ingest import create_devices  # noqa: E402
from bench.read import TRAFFIC_CHART, percentile, superuser_token  # noqa: E402
from bench.workload import make_payload  # noqa: E402

POINTS_PER_SAMPLE = 15
TIME_FORMAT = "%d-%m-%Y_%H:%M:%S.%f"  # the POST's ?time= (monitoring/services/ingest/samples.py)
# After the database is back, this long is allowed for every worker to notice.
RECOVERY_GRACE_SECONDS = 5.0


@dataclass
class Outcome:
    kind: str  # "post", "detail" or "dashboard"
    started: float  # seconds since the start of the run
    latency: float  # seconds
    status: int | None  # None: no answer (see error)
    error: str | None = None  # exception, or what was wrong with an answer

    @property
    def ended(self) -> float:
        return self.started + self.latency

    @property
    def label(self) -> str:
        return self.error or str(self.status)


@dataclass
class Sample:
    seq: int
    time: datetime
    body: bytes


@dataclass
class Events:
    """When the faults happened, in seconds since the start of the run."""

    db_stop_began: float | None = None
    db_stopped: float | None = None
    db_start_began: float | None = None
    db_back: float | None = None
    worker_killed: float | None = None
    killed_pid: int | None = None
    killed_mid_request: bool = False
    killed_in_transaction: bool = False
    killed_sample_points: int | None = None  # stored points of the killed sample, before its resend
    worker_replaced: float | None = None


@dataclass
class Run:
    base: str
    devices: list[dict]
    token: str
    period: float
    start: float = 0.0
    end: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    sent: dict[int, set] = field(default_factory=lambda: defaultdict(set))
    acked: dict[int, set] = field(default_factory=lambda: defaultdict(set))
    max_lag: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    timeout: float = 30.0

    def now(self) -> float:
        return time.monotonic() - self.start


def describe(error: BaseException) -> str:
    """The exception class, and the underlying one for wrapped connection errors
    (``ConnectionError(RemoteDisconnected)``)."""
    name = type(error).__name__
    inner, depth = error, 0
    while depth < 4:
        nested = next((arg for arg in getattr(inner, "args", ()) if isinstance(arg, BaseException)), None)
        if nested is None:
            break
        inner, depth = nested, depth + 1
    return name if inner is error else f"{name}({type(inner).__name__})"


def judge(response: requests.Response, expected_json: bool) -> str | None:
    """What is wrong with an answer, if anything: a 503 must carry a JSON ``detail`` and
    Retry-After; a 200 chart answer must be JSON."""
    if response.status_code == 503:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = None
        if not detail or "Retry-After" not in response.headers:
            return "503 without JSON detail/Retry-After"
    elif response.status_code == 200 and expected_json:
        try:
            response.json()
        except ValueError:
            return "200 without JSON"
    return None


def timed(run: Run, kind: str, call) -> tuple[Outcome, requests.Response | None]:
    started = time.monotonic()
    try:
        response = call()
    except requests.RequestException as error:
        outcome = Outcome(kind, started - run.start, time.monotonic() - started, None, describe(error))
        run.outcomes.append(outcome)
        return outcome, None
    outcome = Outcome(kind, started - run.start, time.monotonic() - started, response.status_code,
                      judge(response, kind != "post"))
    run.outcomes.append(outcome)
    return outcome, response


def post_sample(run: Run, http: requests.Session, index: int, sample: Sample, *, record: bool = True) -> bool:
    device = run.devices[index]
    url = f"{run.base}/api/v1/monitoring/device/{device['id']}/"
    params = {"key": device["key"], "time": sample.time.strftime(TIME_FORMAT)}
    run.sent[index].add(sample.time)

    def call():
        return http.post(url, params=params, data=sample.body, timeout=run.timeout,
                         headers={"Content-Type": "application/json"})

    if record:
        outcome, _ = timed(run, "post", call)
        ok = outcome.status == 200
    else:
        ok = call().status_code == 200
    if ok:
        run.acked[index].add(sample.time)
    return ok


def new_sample(index: int, seq: int) -> Sample:
    return Sample(seq, datetime.now(UTC), json.dumps(make_payload(index, seq)).encode())


def device_loop(run: Run, indexes: list[int], next_seq: dict[int, int]) -> None:
    """Devices ``indexes``, each posting every ``period`` seconds from its own phase until
    the end; an unanswered sample is resent at the next turn."""
    http = requests.Session()
    count = len(run.devices)
    turns = [(run.start + run.period * index / count, index) for index in indexes]
    heapq.heapify(turns)
    pending: dict[int, Sample] = {}
    while turns:
        due, index = heapq.heappop(turns)
        if due >= run.end:
            continue
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        run.max_lag = max(run.max_lag, time.monotonic() - due)
        sample = pending.pop(index, None)
        if sample is None:
            sample = new_sample(index, next_seq[index])
            next_seq[index] += 1
        if not post_sample(run, http, index, sample):
            pending[index] = sample
        heapq.heappush(turns, (due + run.period, index))


def reader_loop(run: Run, pause: float, seed: int) -> None:
    """A user opening device charts, and the dashboard every fourth time."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {run.token}"
    chooser = random.Random(seed)
    turn = 0
    while time.monotonic() < run.end:
        if turn % 4 == 3:
            kind, path = "dashboard", "/api/v1/monitoring/dashboard/?time=1d"
        else:
            device = chooser.choice(run.devices)
            kind, path = "detail", f"/api/v1/monitoring/device/{device['id']}/?time=1d"
        timed(run, kind, lambda url=run.base + path: http.get(url, timeout=run.timeout))
        turn += 1
        if run.stop.wait(pause):
            break


def restart_database(run: Run, cluster, events: Events, *, at: float, outage: float) -> None:
    time.sleep(max(0.0, run.start + at - time.monotonic()))
    events.db_stop_began = run.now()
    cluster.stop()
    events.db_stopped = run.now()
    time.sleep(max(0.0, outage - (events.db_stopped - events.db_stop_began)))
    events.db_start_began = run.now()
    cluster.start()
    events.db_back = run.now()


def kill_worker(run: Run, database_url: str, master_pid: int, port: int, events: Events, *, at: float) -> None:
    """SIGKILL the worker storing a sample of device 0, caught with the sample's points
    inserted and not committed: a lock on the device's snapshot row, held here, pins the
    sample's transaction there (the snapshot is written after the points). Should the
    sample not come within its period, a worker handling any request is killed instead."""
    time.sleep(max(0.0, run.start + at - time.monotonic()))
    before = worker_pids(master_pid)
    observer = psycopg2.connect(database_url)
    observer.autocommit = True
    blocker = psycopg2.connect(database_url)
    try:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT 1 FROM device_data WHERE device_id = %s FOR UPDATE", (run.devices[0]["id"],))
        deadline = time.monotonic() + run.period + 5
        busy: set[int] = set()
        while not busy and time.monotonic() < deadline:
            with observer.cursor() as cursor:
                cursor.execute("SELECT pid, client_port FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                               (blocker.info.backend_pid,))
                row = cursor.fetchone()
            if row:
                backend_pid, busy = row[0], connection_owners(before, {row[1]})
            else:
                time.sleep(0.01)
        events.killed_in_transaction = bool(busy)
        pinned_sample = max(run.sent[0]) if busy else None  # device 0's thread waits on it
        busy = busy or workers_mid_request(master_pid, port)
        victim = next(iter(busy or before))
        os.kill(victim, signal.SIGKILL)
        events.worker_killed, events.killed_pid, events.killed_mid_request = run.now(), victim, bool(busy)
        blocker.rollback()  # the orphaned session then finds its client gone and rolls back
        if events.killed_in_transaction:
            # Before device 0 resends it (a period later): what is stored of the killed sample?
            while time.monotonic() < deadline:
                with observer.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend_pid,))
                    if cursor.fetchone()[0] == 0:
                        break
                time.sleep(0.01)
            events.killed_sample_points = sample_points(observer, run.devices[0]["id"], pinned_sample)
    finally:
        blocker.close()
        observer.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = worker_pids(master_pid)
        if victim not in workers and len(workers) >= len(before):
            events.worker_replaced = run.now()
            return
        time.sleep(0.05)


def sample_points(connection, device_id: str, sample_time: datetime) -> int:
    from monitoring.timeseries.tables import HYPERTABLES

    total = 0
    with connection.cursor() as cursor:
        for table in HYPERTABLES:  # names from our own table definitions
            cursor.execute(f"SELECT count(*) FROM {table.name} WHERE device_id = %s AND time = %s",
                           (device_id, sample_time))
            total += cursor.fetchone()[0]
    return total


def stored_samples(database_url: str, devices: list[dict]) -> dict[int, dict[datetime, int]]:
    """Points per (device, time), over every hypertable."""
    from monitoring.timeseries.tables import HYPERTABLES

    index_of = {device["id"]: index for index, device in enumerate(devices)}
    points: dict[int, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        for table in HYPERTABLES:  # names from our own table definitions
            cursor.execute(f"SELECT device_id::text, time, count(*) FROM {table.name} GROUP BY 1, 2")
            for device_id, sample_time, count in cursor.fetchall():
                points[index_of.get(device_id, -1)][sample_time] += count
    connection.close()
    return points


def milliseconds(values: list[float], fraction: float) -> str:
    return f"{1000 * percentile(values, fraction):.1f} ms" if values else "-"


def report(args, run: Run, events: Events, stored: dict, bound: float, memory: PeakRss, postgres_mib: float,
           load: tuple[str, str]) -> bool:
    seconds = args.duration
    outcomes = run.outcomes
    lines = [
        f"### Load: {len(run.devices)} devices every {args.period:g} s, {args.readers} chart readers, {seconds} s",
        "",
        f"gunicorn workers: {args.workers}; faults: "
        + ("none" if args.no_faults else
           f"database stopped at {args.restart_at:.0f} s for {args.outage:g} s, "
           f"a worker killed in device 0's first sample after {args.kill_at:.0f} s")
        + f"; load average before/after: {load[0]} / {load[1]} on {os.cpu_count()} cores; "
        f"peak RSS gunicorn {memory.peak_mib:.0f} MiB in {memory.processes} processes, "
        f"postgres {postgres_mib:.0f} MiB",
        "",
        "| requests | sent | 200 | per s (200) | p50 (200) | p99 (200) | max (any) | not 200 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, title in (("post", "device samples"), ("detail", "device charts ?time=1d"),
                        ("dashboard", "dashboard ?time=1d")):
        mine = [o for o in outcomes if o.kind == kind]
        ok = [o.latency for o in mine if o.status == 200 and not o.error]
        failed = Counter(o.label for o in mine if o.status != 200 or o.error)
        failures = ", ".join(f"{label}: {count}" for label, count in sorted(failed.items())) or "0"
        longest = f"{1000 * max(o.latency for o in mine):.0f} ms" if mine else "-"
        lines.append(f"| {title} | {len(mine)} | {len(ok)} | {len(ok) / seconds:.1f} | {milliseconds(ok, 0.5)} "
                     f"| {milliseconds(ok, 0.99)} | {longest} | {failures} |")

    checks: list[tuple[str, bool]] = []
    lines.append("")
    if not args.no_faults:
        lines += outage_lines(run, events, bound, checks)
    lines += verification_lines(run, stored, checks)
    lines.append("")
    lines.append(f"Largest delay of a device's turn behind its schedule: {1000 * run.max_lag:.0f} ms.")
    lines.append("")
    for name, passed in checks:
        lines.append(f"- {'PASS' if passed else 'FAIL'}: {name}")
    print("\n".join(lines), flush=True)
    return all(passed for _, passed in checks)


def outage_lines(run: Run, events: Events, bound: float, checks: list) -> list[str]:
    if events.db_back is None:  # stopping or starting the cluster failed (its error is above)
        checks.append(("the database was restarted", False))
        return []
    outcomes = run.outcomes
    window = (events.db_stop_began, events.db_back)
    during = [o for o in outcomes if o.started <= window[1] and o.ended >= window[0]]
    refused = [o for o in outcomes if o.status == 503]
    back = events.db_back
    successes_after = [o.ended for o in outcomes if o.status == 200 and not o.error and o.ended >= back]
    first_success = min(successes_after) - back if successes_after else math.inf
    late_503 = [o for o in refused if o.started >= back + RECOVERY_GRACE_SECONDS]
    longest = max((o.latency for o in during), default=0.0)
    # Besides 503s, the only failure allowed is the request the killed worker was serving.
    killed_at = events.worker_killed
    unexpected = [o for o in outcomes if (o.status not in (200, 503) or o.error)
                  and not (o.error and o.status is None and killed_at is not None
                           and o.started <= killed_at <= o.ended + 0.5)]
    lost_to_kill = [o for o in outcomes if o.status is None and o not in unexpected]
    stop_span = f"{events.db_stop_began:.1f}-{events.db_back:.1f} s"
    lines = [
        "| fault | figure |",
        "|---|---|",
        f"| database down (stop began - start returned) | {stop_span} of the run "
        f"({events.db_back - events.db_stop_began:.1f} s; "
        f"the fast shutdown took {events.db_stopped - events.db_stop_began:.1f} s) |",
    ]
    if refused:
        first, last = min(o.started for o in refused), max(o.ended for o in refused)
        kinds = Counter(o.kind for o in refused)
        by_kind = ", ".join(f"{kind}: {count}" for kind, count in sorted(kinds.items()))
        lines.append(f"| requests answered 503 | {len(refused)} ({by_kind}), "
                     f"from {first:.1f} s to {last:.1f} s of the run ({last - first:.1f} s) |")
    else:
        lines.append("| requests answered 503 | 0 |")
    lines += [
        f"| slowest request overlapping the outage | {1000 * longest:.0f} ms (bound {bound:.0f} s) |",
        f"| first 200 after the database was back | {1000 * first_success:.0f} ms |",
        "| last 503 after the database was back | "
        + (f"{max(0.0, max(o.ended for o in refused) - back) * 1000:.0f} ms |" if refused else "- |"),
    ]
    if events.worker_killed is not None:
        replaced = (f"{1000 * (events.worker_replaced - events.worker_killed):.0f} ms"
                    if events.worker_replaced is not None else "never")
        state = ("points of a sample inserted, not committed" if events.killed_in_transaction
                 else "mid-request" if events.killed_mid_request else "idle")
        lines.append(f"| worker {events.killed_pid} killed at {events.worker_killed:.1f} s "
                     f"({state}) | "
                     f"a new worker forked after {replaced}; "
                     f"requests without an answer: {len(lost_to_kill)}"
                     + (f"; points of its sample stored before the device resent it: {events.killed_sample_points}"
                        if events.killed_sample_points is not None else "") + " |")
    lines.append("")
    checks.append((f"every request overlapping the outage answered within {bound:.0f} s", longest <= bound))
    checks.append(("503s during the outage, each with a JSON detail and Retry-After", bool(refused)))
    checks.append(("the service answered 200 again without a restart", first_success < bound))
    checks.append((f"no 503 started more than {RECOVERY_GRACE_SECONDS:g} s after the database was back",
                   not late_503))
    checks.append(("no error besides 503 and the killed worker's request: "
                   + (", ".join(f"{k}: {n}" for k, n in Counter(o.label for o in unexpected).items()) or "none"),
                   not unexpected))
    if events.worker_killed is not None:
        checks.append(("gunicorn replaced the killed worker", events.worker_replaced is not None))
    if events.killed_sample_points is not None:
        checks.append((f"nothing stored of the killed worker's sample before its resend "
                       f"({events.killed_sample_points} points)", events.killed_sample_points == 0))
    return lines


def verification_lines(run: Run, stored: dict, checks: list) -> list[str]:
    missing = extra = partial = stored_total = unacked_stored = 0
    sent_total = sum(len(times) for times in run.sent.values())
    acked_total = sum(len(times) for times in run.acked.values())
    strangers = sum(len(times) for index, times in stored.items() if index not in run.sent)
    for index in set(run.sent) | set(stored):
        stored_times = set(stored.get(index, {}))
        sent, acked = run.sent.get(index, set()), run.acked.get(index, set())
        stored_total += len(stored_times)
        missing += len(acked - stored_times)
        extra += len(stored_times - sent)
        unacked_stored += len((stored_times & sent) - acked)
        partial += sum(1 for points in stored.get(index, {}).values() if points != POINTS_PER_SAMPLE)
    points = sum(sum(by_time.values()) for by_time in stored.values())
    lines = [
        "| verification in the database, per device | samples |",
        "|---|---|",
        f"| sent (distinct `time`, priming included) | {sent_total} |",
        f"| answered 200 | {acked_total} |",
        f"| stored | {stored_total} ({points} points) |",
        f"| answered 200 but not stored | {missing} |",
        f"| stored but never sent | {extra + strangers} |",
        f"| stored without an answer 200 (answer lost, never resent) | {unacked_stored} |",
        f"| stored with other than {POINTS_PER_SAMPLE} points | {partial} |",
    ]
    checks.append(("every sample answered 200 is stored", missing == 0))
    checks.append(("nothing stored that was not sent", extra + strangers == 0))
    checks.append((f"every stored sample has its {POINTS_PER_SAMPLE} points, no partial sample", partial == 0))
    return lines


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--period", type=float, default=5.0, help="seconds between two samples of a device")
    parser.add_argument("--readers", type=int, default=5, help="users reading charts")
    parser.add_argument("--read-pause", type=float, default=1.0, help="seconds a reader waits between two charts")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--client-threads", type=int, default=50, help="threads the devices share")
    parser.add_argument("--workers", type=int, default=MAKE_RUN_WORKERS,
                        help="gunicorn workers (default: 2 per CPU, as make run starts it)")
    parser.add_argument("--no-faults", action="store_true", help="no database restart, no killed worker")
    parser.add_argument("--restart-at", type=float, help="second of the run the database stops (default: 1/3)")
    parser.add_argument("--outage", type=float, default=5.0, help="seconds the database stays down")
    parser.add_argument("--kill-at", type=float, help="second of the run a worker is killed (default: 2/3)")
    parser.add_argument("--timeout", type=float, default=30.0, help="client timeout per request")
    args = parser.parse_args()
    args.restart_at = args.duration / 3 if args.restart_at is None else args.restart_at
    args.kill_at = 2 * args.duration / 3 if args.kill_at is None else args.kill_at

    load_before = load_average()
    with database_cluster() as cluster:
        devices = create_devices(cluster.url, args.devices)  # sets DATABASE_URL before config is read
        token = superuser_token(cluster.url)
        from config import Config

        engine = Config.SQLALCHEMY_ENGINE_OPTIONS
        # A request must fail within the wait for a pooled connection plus a connection attempt.
        bound = engine["pool_timeout"] + engine["connect_args"]["connect_timeout"] + 2.0
        env = {"WEB_CONCURRENCY": str(args.workers), "MONITORING_DASHBOARD_TRAFFIC_CHART": TRAFFIC_CHART}
        with gunicorn(cluster.url, **env) as (base, process):
            port = int(base.rsplit(":", 1)[1])
            run = Run(base=base, devices=devices, token=token, period=args.period, timeout=args.timeout)
            next_seq = {index: 0 for index in range(len(devices))}
            print(f"priming {len(devices)} devices with one sample each ...", flush=True)
            sessions = threading.local()

            def prime(index: int) -> bool:
                if not hasattr(sessions, "http"):
                    sessions.http = requests.Session()
                next_seq[index] = 1
                return post_sample(run, sessions.http, index, new_sample(index, 0), record=False)

            with ThreadPoolExecutor(max_workers=8) as pool:
                if not all(pool.map(prime, range(len(devices)))):
                    raise RuntimeError("priming failed")
            print(f"load for {args.duration} s ...", flush=True)
            events = Events()
            run.start = time.monotonic()
            run.end = run.start + args.duration
            # Device 0 has a thread of its own: the killed worker's sample is one of its, held
            # back for a while, which must not delay the other devices.
            threads = [threading.Thread(target=device_loop, args=(run, [0], next_seq), daemon=True)]
            share = max(1, args.client_threads)
            for t in range(share):
                indexes = list(range(1 + t, len(devices), share))
                if indexes:
                    threads.append(threading.Thread(target=device_loop, args=(run, indexes, next_seq),
                                                    daemon=True))
            threads += [threading.Thread(target=reader_loop, args=(run, args.read_pause, r), daemon=True)
                        for r in range(args.readers)]
            with PeakRss(process.pid) as memory:
                for thread in threads:
                    thread.start()
                faults = []
                if not args.no_faults:
                    faults = [
                        threading.Thread(target=restart_database, args=(run, cluster, events),
                                         kwargs={"at": args.restart_at, "outage": args.outage}, daemon=True),
                        threading.Thread(target=kill_worker, args=(run, cluster.url, process.pid, port, events),
                                         kwargs={"at": args.kill_at}, daemon=True),
                    ]
                for thread in faults:
                    thread.start()
                time.sleep(max(0.0, run.end - time.monotonic()))
                run.stop.set()
                for thread in threads + faults:
                    thread.join(timeout=args.timeout + 90)
                postgres_mib = postgres_rss_mib()
            if any(thread.is_alive() for thread in threads + faults):
                print("a load thread did not finish", file=sys.stderr)
                return 1
        stored = stored_samples(cluster.url, devices)
    return 0 if report(args, run, events, stored, bound, memory, postgres_mib, (load_before, load_average())) else 1


if __name__ == "__main__":
    sys.exit(main())
