"""gunicorn settings, each overridable from the environment (docs/operations.md)."""
import glob
import math
import os
import shutil
import tempfile

from gunicorn.glogging import Logger


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


def available_cpus() -> int:
    """The CPUs this process may really use: a container's CPU quota (cgroup v2) when there
    is one, else the CPUs it may be scheduled on; not the host's total."""
    cpus = len(os.sched_getaffinity(0))
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cpus


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Requests spend most of their time waiting on the database: 2 workers per core. Each worker
# holds its own database connections, so the default stops at 16: beyond that, check
# PostgreSQL's max_connections against workers x hosts before raising WEB_CONCURRENCY.
workers = _env_int("WEB_CONCURRENCY", min(2 * available_cpus(), 16))
threads = _env_int("GUNICORN_THREADS", 1)
# Heartbeat files on a RAM disk: a worker touching a file on a slow or full disk would be
# taken for stuck and killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
timeout = _env_int("GUNICORN_TIMEOUT", 60)
# On SIGTERM, in-flight requests get this long to finish before workers are killed.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# Connections are opened by each worker after fork, never shared.
preload_app = False
# gunicorn's runtime control socket lives at one path per user: several servers on one host
# (tests, a second instance) would fight over it, and nothing here uses it.
control_socket_disable = True

# --- Logs -------------------------------------------------------------------------------
# The application logs one line per request (JSON, with request id and device id, secrets
# redacted), so gunicorn's own access log is off unless asked for. When on, it shows the path
# without the query string: device keys travel in ``?key=``.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "") or None
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")


def _log_config(access_target):
    """gunicorn's own lines (boot, worker exits) in the application's format (LOG_FORMAT),
    on stdout, so one stream carries one format."""
    handlers = {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "service",
            "stream": "ext://sys.stdout",
        },
    }
    access_handlers = []
    if access_target == "-":
        access_handlers = ["stdout"]
    elif access_target:
        handlers["access_file"] = {"class": "logging.FileHandler", "formatter": "service", "filename": access_target}
        access_handlers = ["access_file"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": {"()": "monitoring.observability.log_format.service_formatter"}},
        "handlers": handlers,
        "root": {"level": "WARNING", "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": access_handlers, "propagate": False},
        },
    }


logconfig_dict = _log_config(accesslog)


class ServiceLogger(Logger):
    """gunicorn's logger, which builds no access line unless an access log is asked for
    (GUNICORN_ACCESSLOG): the app writes its own line per request. To gunicorn a logging
    configuration (``logconfig_dict`` above) counts as asking for one, so it would build a
    line for every request only to drop it: 4 % of a device POST's Python time."""

    def access(self, resp, req, environ, request_time):
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)


logger_class = ServiceLogger

# --- Prometheus metrics across workers ------------------------------------------------------
# Each worker writes its metric values to files in PROMETHEUS_MULTIPROC_DIR; /metrics adds
# them up. prometheus-client picks its storage when first imported, so the variable must be
# set before any worker starts: the master sets it here and the workers inherit it.
_created_metrics_dir = None


def on_starting(server):
    """A clean metrics directory: values of a previous run must not be counted again."""
    global _created_metrics_dir
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        # Only the client's own files: the directory may have been shared by mistake.
        for stale in glob.glob(os.path.join(directory, "*.db")):
            os.remove(stale)
    else:
        base = "/dev/shm" if os.path.isdir("/dev/shm") else None
        directory = _created_metrics_dir = tempfile.mkdtemp(prefix="monitoring-metrics-", dir=base)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    server.log.info("prometheus metrics directory: %s", directory)


def child_exit(server, worker):
    """A worker ended (restart, crash, max_requests): its counters stay counted; its
    per-process gauges are dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _created_metrics_dir:
        shutil.rmtree(_created_metrics_dir, ignore_errors=True)
