"""What the request hooks (request id, Prometheus metrics, request log line, browsable-API
check) cost a device POST: the same app with and without them, in one process, on one
database, alternating A/B rounds so that drift (caches, table growth) hits both alike.

Metrics are kept in multiprocess mode (memory-mapped files) and log lines are written to a
file, as under gunicorn. The device POST is the standard W1 payload (bench/workload).

    make bench-overhead       # or: .venv/bin/python bench/request_overhead.py --rounds 10
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace

# As gunicorn.conf.py does before any worker starts: prometheus-client reads it at import.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-metrics-")
atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database  # noqa: E402
from bench.workload import make_payload  # noqa: E402

OURS = ("monitoring.observability", "monitoring.browsable")


def without_hooks(app):
    """The app as it would be without the observability and browsable-API hooks, and
    without the metrics and log line of the device POSTs answered in front of Flask
    (``blueprints/device_data_fast_path.py``)."""
    from monitoring.observability.request_hooks import RequestRecorder

    for functions in (app.before_request_funcs, app.after_request_funcs):
        functions[None] = [f for f in functions.get(None, []) if not f.__module__.startswith(OURS)]
    app.wsgi_app.recorder = RequestRecorder(metrics=False, request_log=None)
    return app


class HookTimer:
    """Wraps the app's observability and browsable-API hooks to add up their own CPU time:
    the hooks' cost measured inside real requests, free of the A/B comparison's noise."""

    def __init__(self, app):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        for functions in (app.before_request_funcs, app.after_request_funcs):
            functions[None] = [self._wrap(f) if f.__module__.startswith(OURS) else f
                               for f in functions.get(None, [])]
        # The device POSTs answered in front of Flask record themselves, with the same recorder.
        fast_path = app.wsgi_app
        fast_path.recorder = SimpleNamespace(record=self._wrap(fast_path.recorder.record))

    def _wrap(self, function):
        name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"

        def timed(*args, **kwargs):
            began = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.thread_time() - began
                self.calls[name] = self.calls.get(name, 0) + 1

        timed.__module__ = "bench"
        return timed

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def report(self) -> str:
        per_call = {name: 1e6 * self.seconds[name] / self.calls[name] for name in self.seconds}
        parts = [f"{name} {us:.1f} us" for name, us in per_call.items()]
        return f"  {' + '.join(parts)} = {sum(per_call.values()):.1f} us per request (CPU, mean)"


def timed_posts(client, devices, start_seq: int, count: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each request; CPU is this thread's: the app's own work, not
    the database's, and less disturbed by other processes on the machine."""
    seconds = []
    for n in range(count):
        index = n % len(devices)
        device = devices[index]
        url = f"/api/v1/monitoring/device/{device['id']}/?key={device['key']}"
        body = make_payload(index, start_seq + n // len(devices))
        began, began_cpu = time.perf_counter(), time.thread_time()
        response = client.post(url, json=body)
        seconds.append((time.perf_counter() - began, time.thread_time() - began_cpu))
        assert response.status_code == 200, response.text
    return seconds


def timed_gets(client, count: int) -> list[tuple[float, float]]:
    seconds = []
    for _ in range(count):
        began, began_cpu = time.perf_counter(), time.thread_time()
        response = client.get("/healthz")
        seconds.append((time.perf_counter() - began, time.thread_time() - began_cpu))
        assert response.status_code == 200
    return seconds


def summary(name: str, plain: list[tuple[float, float]], observed: list[tuple[float, float]]) -> str:
    lines = [f"{name} ({len(plain)} requests each)"]
    for label, index in (("wall", 0), ("app CPU", 1)):
        p = statistics.median(t[index] for t in plain) * 1e6
        o = statistics.median(t[index] for t in observed) * 1e6
        pm = statistics.fmean(t[index] for t in plain) * 1e6
        om = statistics.fmean(t[index] for t in observed) * 1e6
        lines.append(f"  {label:8s} median without {p:8.1f} us, with {o:8.1f} us: {o - p:+7.1f} us "
                     f"({100 * (o - p) / p:+.1f} %)   mean {pm:8.1f} -> {om:8.1f} us: {om - pm:+7.1f} us")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10, help="A/B rounds")
    parser.add_argument("--posts", type=int, default=200, help="device POSTs per variant per round")
    parser.add_argument("--gets", type=int, default=5000, help="GET /healthz per variant per round")
    args = parser.parse_args()

    from bench.ingest import create_devices

    with database() as database_url, tempfile.TemporaryFile("w") as log_file:
        devices = create_devices(database_url, args.devices)
        from monitoring import create_app

        variants = {"plain": without_hooks(create_app()).test_client(), "observed": create_app().test_client()}
        timed_app = create_app()
        timer = HookTimer(timed_app)
        timed_client = timed_app.test_client()
        posts = {name: [] for name in variants}
        gets = {name: [] for name in variants}
        seq = 0
        with redirect_stdout(log_file):  # the request log goes to a file, as in production
            for client in [*variants.values(), timed_client]:  # warm-up: connections, statements, caches
                timed_posts(client, devices, seq, 2 * len(devices))
                seq += 2
                timed_gets(client, 500)
            for round_number in range(args.rounds):
                # ABBA order: neither variant always goes first.
                order = ["plain", "observed"] if round_number % 2 == 0 else ["observed", "plain"]
                for name in order:
                    posts[name] += timed_posts(variants[name], devices, seq, args.posts)
                    seq += -(-args.posts // len(devices))
                    gets[name] += timed_gets(variants[name], args.gets)
            timer.reset()
            timed_posts(timed_client, devices, seq, args.posts * args.rounds)
            post_hooks = timer.report()
            timer.reset()
            timed_gets(timed_client, args.gets * args.rounds)
            get_hooks = timer.report()
    print(f"Request hooks overhead, in-process (werkzeug test client), {args.rounds} A/B rounds")
    print(summary("POST /api/v1/monitoring/device/<id>/ (W1 payload, stored)", posts["plain"], posts["observed"]))
    print(summary("GET /healthz (no database: the hooks' cost stands out)", gets["plain"], gets["observed"]))
    print("The hooks' own CPU time inside requests (each hook timed where it runs):")
    print(f"  device POST\n  {post_hooks}")
    print(f"  GET /healthz\n  {get_hooks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
