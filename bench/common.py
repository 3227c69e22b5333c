"""Shared pieces of the benchmarks: a database cluster and a gunicorn like ``make run``
starts them, and process memory sampling. Everything stays on 127.0.0.1."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared")).resolve()
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def database():
    """A fresh cluster with the same settings as ``make run`` (durable: fsync on)."""
    directory = Path(tempfile.mkdtemp(prefix="monitoring-bench-db."))
    directory.chmod(0o755)
    port = free_port()
    subprocess.run(["bash", "scripts/db.sh", "start", str(directory / "data"), str(port), "monitoring"],
                   cwd=ROOT, check=True)
    url = f"postgresql://postgres@127.0.0.1:{port}/monitoring"
    try:
        env = dict(os.environ, DATABASE_URL=url)
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        yield url
    finally:
        subprocess.run(["bash", "scripts/db.sh", "stop", str(directory / "data")], cwd=ROOT)
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


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakRss:
    """Samples the summed RSS of a process tree every 200 ms; ``peak_mib`` after stop()."""

    def __init__(self, pid: int):
        self.pid, self.peak_kib, self.processes = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = [self.pid, *_descendants(self.pid)]
            self.processes = max(self.processes, len(pids))
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(p) for p in pids))
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


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
