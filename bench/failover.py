"""Failover under load on a Patroni cluster (scripts/patroni.sh: one etcd, three PostgreSQL
nodes on this machine, under var/).

Devices post the standard sample (bench/workload/payload.py) through gunicorn, whose
DATABASE_URL lists the three nodes (``target_session_attrs=read-write``). After
``--before`` seconds the leader's machine is lost as in a crash: its Patroni and every
process of its PostgreSQL are killed with SIGKILL. Patroni promotes a standby once the
leader's key has expired; the same gunicorn, without a restart, finds it; the devices go on
for ``--after`` seconds more. A sample that is not answered 200 is resent at the device's
next turn, as the agent does. Then every sample answered 200 is looked for on the new leader.

With synchronous replication (Patroni's ``synchronous_mode``, the default) a commit returns
once a standby has it, and only that standby may be promoted: nothing acknowledged may be
missing, or the run fails. With ``--asynchronous`` the missing samples are counted and
their span measured: how long before the crash the lost acknowledgements were given.

    make patroni-failover                            # synchronous
    .venv/bin/python bench/failover.py --asynchronous
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg2  # noqa: E402

from bench.common import BIN, MAKE_RUN_WORKERS, ROOT, BackgroundSampler, free_port_run, gunicorn  # noqa: E402
from bench.ingest import create_devices  # noqa: E402
from bench.load import Run, device_loop, milliseconds, stored_samples, verification_lines  # noqa: E402

PATRONI_PORTS = 8  # three PostgreSQL nodes, three REST APIs, etcd's client and peer ports


def patroni(*args: str, env: dict | None = None) -> str:
    """``scripts/patroni.sh`` with these arguments; its output."""
    return subprocess.run(["bash", "scripts/patroni.sh", *args], cwd=ROOT, check=True, capture_output=True,
                          text=True, env=env).stdout.strip()


def leader(directory: Path) -> tuple[str, int] | None:
    """(name, port) of the running leader, when there is one."""
    try:
        found = patroni("leader", str(directory))
    except subprocess.CalledProcessError:
        return None
    if not found:
        return None
    name, port = found.split()
    return name, int(port)


def wait_for_new_leader(directory: Path, old: str, timeout: float = 120) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = leader(directory)
        if found and found[0] != old:
            return found
        time.sleep(0.1)
    raise RuntimeError(f"no standby was promoted within {timeout:.0f} s:\n{patroni('list', str(directory))}")


class ReplicationLag(BackgroundSampler):
    """How far the standbys' received WAL trails the leader's (``pg_stat_replication``'s
    ``write_lag``: from a commit's WAL being flushed on the leader to a standby having
    written it), sampled every 0.2 s until the crash. With asynchronous replication, what
    was acknowledged in that last span is what a crash of the leader may take with it."""

    def __init__(self, leader_url: str):
        self.leader_url, self.samples = leader_url, []
        super().__init__()

    def _run(self) -> None:
        connection = psycopg2.connect(self.leader_url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                while not self._stop.wait(0.2):
                    cursor.execute("SELECT extract(epoch FROM max(write_lag)) FROM pg_stat_replication")
                    lag = cursor.fetchone()[0]
                    if lag is not None:
                        self.samples.append(float(lag))
        finally:
            connection.close()

    def describe(self) -> str:
        if not self.samples:
            return "not measured"
        return (f"{1000 * sorted(self.samples)[len(self.samples) // 2]:.2f} ms median, "
                f"{1000 * max(self.samples):.2f} ms at most, {1000 * self.samples[-1]:.2f} ms last "
                f"({len(self.samples)} samples)")


def lost_samples(run: Run, stored: dict, crashed_at: datetime) -> list[float]:
    """The samples answered 200 that the new leader lacks: seconds before the crash at which
    each was sent (its ``time``)."""
    lost = []
    for index, acked in run.acked.items():
        stored_times = set(stored.get(index, {}))
        lost += [(crashed_at - sample_time).total_seconds() for sample_time in acked - stored_times]
    return sorted(lost)


def report(args, run: Run, stored: dict, timeline: dict, new_leader: tuple[str, int], lag: ReplicationLag) -> bool:
    outcomes = [o for o in run.outcomes if o.kind == "post"]
    crash = timeline["crashed"]
    ok = [o for o in outcomes if o.status == 200 and not o.error]
    failed = Counter(o.label for o in outcomes if o.status != 200 or o.error)
    after_crash = [o.ended for o in ok if o.started >= crash]
    first_200 = min(after_crash) - crash if after_crash else None
    refused_between = sum(1 for o in outcomes if o.status == 503 and crash <= o.started <= timeline["promoted"])
    mode = "asynchronous" if args.asynchronous else "synchronous (synchronous_mode: true)"
    lines = [
        f"### Failover under load: {len(run.devices)} devices every {args.period:g} s, replication {mode}",
        "",
        f"gunicorn workers: {args.workers}; leader {timeline['old_leader']} crashed at {crash:.1f} s of the run; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        "",
        "| figure | value |",
        "|---|---|",
        f"| device POSTs sent / answered 200 | {len(outcomes)} / {len(ok)} "
        f"({len(ok) / (run.end - run.start):.1f}/s; p50 {milliseconds([o.latency for o in ok], 0.5)}, "
        f"p99 {milliseconds([o.latency for o in ok], 0.99)}) |",
        f"| not 200 | {', '.join(f'{label}: {count}' for label, count in sorted(failed.items())) or '0'} |",
        f"| standby promoted (Patroni) | {new_leader[0]}, {timeline['promoted'] - crash:.1f} s after the crash |",
        "| first 200 after the crash | " + (f"{first_200:.1f} s after it |" if first_200 is not None else "none |"),
        f"| 503s, from the crash to the promotion | {refused_between} |",
        f"| standbys' write lag before the crash | {lag.describe()} |",
        "",
    ]
    checks: list[tuple[str, bool]] = []
    lines += verification_lines(run, stored, checks)
    lost = lost_samples(run, stored, timeline["crashed_at"])
    if lost:
        lines.append(f"| answered 200, lost with the leader | {len(lost)}, sent {lost[-1]:.3f} s to "
                     f"{lost[0]:.3f} s before the crash |")
    else:
        lines.append("| answered 200, lost with the leader | 0 |")
    if args.asynchronous:  # a measurement, not a promise
        checks = [(name, passed) for name, passed in checks if name != "every sample answered 200 is stored"]
    checks.append(("the service answered 200 again after the promotion, without a restart", first_200 is not None))
    lines.append("")
    lines += [f"- {'PASS' if passed else 'FAIL'}: {name}" for name, passed in checks]
    print("\n".join(lines), flush=True)
    return all(passed for _, passed in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--asynchronous", action="store_true",
                        help="asynchronous replication: measure what a failover loses")
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--period", type=float, default=1.0, help="seconds between two samples of a device")
    parser.add_argument("--client-threads", type=int, default=16, help="threads the devices share")
    parser.add_argument("--before", type=float, default=15.0, help="seconds of load before the crash")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of load after the promotion")
    parser.add_argument("--workers", type=int, default=MAKE_RUN_WORKERS,
                        help="gunicorn workers (default: 2 per CPU, as make run starts it)")
    parser.add_argument("--dir", type=Path, help="the cluster's directory (default: a new one under var/, "
                        "removed at the end)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running and its directory")
    args = parser.parse_args()

    directory = args.dir or ROOT / "var" / f"failover-{os.getpid()}"
    mode = "false" if args.asynchronous else "true"
    print(f"starting Patroni (three nodes, synchronous_mode: {mode}) in {directory} ...", flush=True)
    try:
        patroni("start", str(directory), str(free_port_run(PATRONI_PORTS)), "monitoring",
                env=dict(os.environ, PATRONI_SYNCHRONOUS=mode))
        url = patroni("url", str(directory), "monitoring")
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, check=True,
                       capture_output=True, env=dict(os.environ, DATABASE_URL=url))
        devices = create_devices(url, args.devices)
        print(patroni("list", str(directory)), flush=True)
        with gunicorn(url, WEB_CONCURRENCY=str(args.workers)) as (base, _):
            run = Run(base=base, devices=devices, token="", period=args.period, timeout=30.0)
            next_seq = {index: 0 for index in range(len(devices))}
            run.start = time.monotonic()
            run.end = run.start + 3600  # until told to stop
            share = max(1, min(args.client_threads, len(devices)))
            threads = [threading.Thread(target=device_loop, args=(run, list(range(t, len(devices), share)), next_seq),
                                        daemon=True) for t in range(share)]
            for thread in threads:
                thread.start()
            leader_url = f"postgresql://postgres@127.0.0.1:{leader(directory)[1]}/monitoring"
            with ReplicationLag(leader_url) as lag:
                time.sleep(args.before)
            # The kill is the script's last step: the crash is timed when it returns.
            old_name = patroni("crash-leader", str(directory))
            timeline = {"old_leader": old_name, "crashed_at": datetime.now(UTC), "crashed": run.now()}
            print(f"crashed the leader {old_name} at {timeline['crashed']:.1f} s; waiting for a promotion ...",
                  flush=True)
            new_leader = wait_for_new_leader(directory, old_name)
            timeline["promoted"] = run.now()
            time.sleep(args.after)
            run.end = time.monotonic()
            for thread in threads:
                thread.join(timeout=90)
        new_leader_url = f"postgresql://postgres@127.0.0.1:{new_leader[1]}/monitoring"
        stored = stored_samples(new_leader_url, devices)
        print(patroni("list", str(directory)), flush=True)
        return 0 if report(args, run, stored, timeline, new_leader, lag) else 1
    finally:
        if not args.keep:
            patroni("stop", str(directory))
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
