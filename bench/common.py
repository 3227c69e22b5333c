"""Shared pieces of the benchmarks: a database cluster and a gunicorn like ``make run``
starts them, and process memory sampling. Everything stays on 127.0.0.1."""
from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The API workers `make run` starts: two per core (README, "Device data collection: figures").
MAKE_RUN_WORKERS = 2 * (os.cpu_count() or 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_run(count: int) -> int:
    """The first of ``count`` consecutive free ports, below the range the kernel hands out
    to clients and to ``free_port()`` (32768 up), so that no other cluster takes one of
    them while ours starts."""
    for _ in range(200):
        first = random.randrange(20000, 32000 - count)
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


@dataclass(frozen=True)
class Cluster:
    """A running benchmark cluster, which a benchmark may stop and start again."""

    url: str
    data_dir: Path
    port: int

    def stop(self) -> None:
        """Fast shutdown, as an operator's restart does: open sessions are ended."""
        subprocess.run(["bash", "scripts/db.sh", "stop", str(self.data_dir)], cwd=ROOT, check=True)

    def start(self) -> None:
        subprocess.run(["bash", "scripts/db.sh", "start", str(self.data_dir), str(self.port), "monitoring"],
                       cwd=ROOT, check=True)


@contextmanager
def database_cluster(kept: Path | None = None):
    """A fresh cluster with the same settings as ``make run`` (durable: fsync on), migrated;
    or the one kept in the data directory ``kept``, made there the first time, stopped but
    not removed afterwards (for measurements that need a long bulk load first)."""
    directory = Path(tempfile.mkdtemp(prefix="monitoring-bench-db.")) if kept is None else kept.parent
    directory.chmod(0o755)
    port = free_port()
    cluster = Cluster(f"postgresql://postgres@127.0.0.1:{port}/monitoring",
                      directory / "data" if kept is None else kept, port)
    try:
        cluster.start()
        env = dict(os.environ, DATABASE_URL=cluster.url)
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        yield cluster
    finally:
        subprocess.run(["bash", "scripts/db.sh", "stop", str(cluster.data_dir)], cwd=ROOT)
        if kept is None:
            shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def database():
    """A fresh cluster with the same settings as ``make run``; yields its URL."""
    with database_cluster() as cluster:
        yield cluster.url


@contextmanager
def replica(cluster: Cluster):
    """A streaming replica of a benchmark cluster (``scripts/db.sh replica``), caught up
    with it; yields its URL."""
    directory = Path(tempfile.mkdtemp(prefix="monitoring-bench-replica."))
    directory.chmod(0o755)
    port = free_port()
    subprocess.run(["bash", "scripts/db.sh", "replica", str(directory / "data"), str(port), str(cluster.port)],
                   cwd=ROOT, check=True, capture_output=True)
    try:
        yield cluster.url.replace(f":{cluster.port}/", f":{port}/")
    finally:
        subprocess.run(["bash", "scripts/db.sh", "stop", str(directory / "data")], cwd=ROOT)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def pgbouncer(database_url: str):
    """PgBouncer in transaction pooling mode in front of the benchmark database
    (``scripts/pgbouncer.sh``); yields the URL to reach the database through it."""
    directory = Path(tempfile.mkdtemp(prefix="monitoring-bench-pgbouncer."))
    directory.chmod(0o755)
    port, server = free_port(), database_url.rsplit("@", 1)[1]
    host_port, name = server.split("/", 1)
    host, server_port = host_port.rsplit(":", 1)
    subprocess.run(["bash", "scripts/pgbouncer.sh", "start", str(directory / "pgbouncer"), str(port),
                    f"{name}=host={host} port={server_port} dbname={name}"], cwd=ROOT, check=True,
                   env=dict(os.environ, PGBOUNCER_POOL_SIZE=os.environ.get("PGBOUNCER_POOL_SIZE", "8")))
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/{name}"
    finally:
        subprocess.run(["bash", "scripts/pgbouncer.sh", "stop", str(directory / "pgbouncer")], cwd=ROOT)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def gunicorn(database_url: str, **extra_env):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, PORT=str(port), GUNICORN_ACCESSLOG="",
               LOG_LEVEL="warning", **extra_env)
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn.", suffix=".log", delete=False)
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"gunicorn did not start:\n{log.read()}")
        time.sleep(0.2)
    try:
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
        os.unlink(log.name)


def prime_devices(base: str, devices: list[dict]) -> None:
    """One standard sample from each device (W1 measures the samples after the first, which
    create a device's metrics and charts)."""
    from bench.workload import make_payload

    http = requests.Session()
    for i, device in enumerate(devices):
        response = http.post(f"{base}/api/v1/monitoring/device/{device['id']}/?key={device['key']}",
                             json=make_payload(i, 0), timeout=30)
        response.raise_for_status()


def wrk_posts(base: str, devices: list[dict], *, seconds: int, connections: int = 8, threads: int = 2,
              first_seq: int = 1) -> dict:
    """W1's load (bench/workload/README.md): wrk posting the standard sample of ``devices``
    (``[{"id", "key"}]``, in device order) to ``base`` for ``seconds``, sample numbers from
    ``first_seq``. Returns wrk's figures (the ``WRKJSON`` line of ``ingest.lua``)."""
    from bench.workload import WRK_SCRIPT

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as table:
        table.write("return {\n" + ",\n".join(f'{{id="{d["id"]}", key="{d["key"]}"}}' for d in devices) + "\n}\n")
    try:
        result = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(WRK_SCRIPT), base,
             "--", table.name, str(first_seq)],
            capture_output=True, text=True, check=True,
        )
    finally:
        os.unlink(table.name)
    return json.loads(next(line for line in result.stdout.splitlines() if line.startswith("WRKJSON "))[8:])


def wrk_errors(figures: dict) -> int:
    """Requests of a wrk run that were not answered 2xx (or not answered at all)."""
    return sum(figures[name] for name in ("err_status", "err_connect", "err_read", "err_write", "err_timeout"))


def _descendants(pid: int) -> list[int]:
    children = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            children.extend(int(c) for c in text)
    except OSError:
        return []
    result = list(children)
    for child in children:
        result.extend(_descendants(child))
    return result


def worker_pids(master_pid: int) -> set[int]:
    """gunicorn's worker processes: the master's children."""
    try:
        return {int(pid) for pid in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()}
    except OSError:
        return set()


def _established_inodes(local_ports: set[int]) -> set[str]:
    """Socket inodes of the established TCP connections whose local end is one of ``local_ports``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) in local_ports and fields[3] == "01":  # 01: ESTABLISHED
                inodes.add(f"socket:[{fields[9]}]")
    return inodes


def connection_owners(pids: set[int], local_ports: set[int]) -> set[int]:
    """Which of ``pids`` hold an established TCP connection whose local end is one of ``local_ports``."""
    inodes = _established_inodes(local_ports)
    owners = set()
    for pid in pids:
        try:
            descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) in inodes:
                    owners.add(pid)
                    break
            except OSError:
                continue
    return owners


def workers_mid_request(master_pid: int, port: int) -> set[int]:
    """The workers holding an accepted client connection on ``port``: a sync worker does
    only while it handles a request."""
    return connection_owners(worker_pids(master_pid), {port})


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class BackgroundSampler:
    """A thread that samples something until the ``with`` block ends: subclasses define
    ``_run``, which loops until ``self._stop`` is set."""

    def __init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class PeakRss(BackgroundSampler):
    """Samples the summed RSS of a process tree every 200 ms; ``peak_mib`` after the block."""

    def __init__(self, pid: int):
        self.pid, self.peak_kib, self.processes = pid, 0, 0
        super().__init__()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = [self.pid, *_descendants(self.pid)]
            self.processes = max(self.processes, len(pids))
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(p) for p in pids))
            self._stop.wait(0.2)

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def postmaster_pid(cluster: Cluster) -> int:
    """The cluster's postmaster: its processes are the postmaster's tree."""
    return int((cluster.data_dir / "postmaster.pid").read_text().split()[0])


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_mib(root_pid: int) -> float:
    """Memory of a process tree, shared pages (PostgreSQL's shared buffers) shared out
    between the processes that map them rather than counted once per process as RSS does."""
    return sum(_pss_kib(pid) for pid in [root_pid, *_descendants(root_pid)]) / 1024


def postgres_rss_mib() -> float:
    total = 0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == "postgres":
                    total += _rss_kib(int(proc.name))
            except OSError:
                continue
    return total / 1024


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


# What a PostgreSQL process does, from the title it gives itself ("postgres: checkpointer"):
# the kinds the database's CPU per sample is split into. Client backends have titles of
# their own ("postgres: user database host(port) idle") and are the rest.
_POSTGRES_KINDS = (
    ("autovacuum worker", "autovacuum"),
    ("autovacuum launcher", "autovacuum"),
    ("checkpointer", "checkpointer"),
    ("background writer", "background writer"),
    ("walwriter", "WAL writer"),
    ("TimescaleDB", "TimescaleDB jobs"),
    ("logical replication", "other"),
)


def postgres_cpu_by_kind(postmaster: int) -> dict:
    """A cluster's CPU time so far per process: {pid: (kind, seconds)}, and under
    ``"ended"`` what its processes that have exited used (the postmaster waits for them,
    so it is in the postmaster's children's times). ``cpu_delta_by_kind`` subtracts two."""
    snapshot: dict = {}
    for pid in _descendants(postmaster):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        kind = next((name for marker, name in _POSTGRES_KINDS if marker in title), "client backends")
        snapshot[pid] = (kind, _cpu_seconds(pid))
    try:
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        snapshot["ended"] = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        snapshot["ended"] = 0.0
    return snapshot


def cpu_delta_by_kind(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per kind of process between two ``postgres_cpu_by_kind`` snapshots: a
    process started meanwhile counts whole; one that ended meanwhile counts under "ended",
    less what it had used before the first snapshot."""
    totals = {"ended": after["ended"] - before["ended"]}
    for pid, entry in after.items():
        if pid != "ended":
            kind, seconds = entry
            earlier = before.get(pid)
            totals[kind] = totals.get(kind, 0.0) + seconds - (earlier[1] if earlier else 0.0)
    for pid, entry in before.items():
        if pid != "ended" and pid not in after:
            totals["ended"] -= entry[1]
    return totals


def process_tree(root_pid: int) -> list[int]:
    """A process and its descendants."""
    return [root_pid, *_descendants(root_pid)]


def process_cpu_seconds(pid: int) -> float:
    """CPU time used so far by one process (not its children)."""
    return _cpu_seconds(pid)


def cpu_seconds(root_pid: int | None = None, *, comm: str | None = None) -> float:
    """CPU time used so far by a process tree, or by every process named ``comm``."""
    if root_pid is not None:
        return sum(_cpu_seconds(p) for p in [root_pid, *_descendants(root_pid)])
    total = 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == comm:
                    total += _cpu_seconds(int(proc.name))
            except OSError:
                continue
    return total
