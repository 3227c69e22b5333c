"""Configuration read from the environment, with defaults that work on a laptop."""
from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from exc


def env_port(name: str, default: int) -> int:
    """A TCP port number, 1 to 65535."""
    port = env_int(name, default)
    if not 1 <= port <= 65535:
        raise ValueError(f"environment variable {name} must be a port number from 1 to 65535, got {port}")
    return port


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_optional_bool(name: str) -> bool | None:
    """True or False when the variable says so; None (decide per request) when unset or empty."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    return env_bool(name, False)


def env_json(name: str, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be JSON, got {raw!r}") from exc


def env_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated networks in CIDR notation (``10.0.0.0/8, fd00::/8``); host bits are
    ignored (``192.168.1.7/24`` is ``192.168.1.0/24``). Empty: none."""
    networks = []
    for item in os.environ.get(name, "").split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError as exc:
                raise ValueError(f"environment variable {name} must list networks such as 10.0.0.0/8, "
                                 f"got {item.strip()!r}") from exc
    return tuple(networks)


DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:54329/monitoring"
LOCAL_HOSTS = {"", "127.0.0.1", "localhost", "::1"}


def database_url(raw: str) -> str:
    """Accept the usual ``postgresql://`` / ``postgres://`` URLs; the driver is psycopg2.

    libpq's multi-host form (``postgresql://u@db1:5432,db2:5432/monitoring?target_session_attrs=
    read-write``) is written the way SQLAlchemy takes it, one ``host=`` parameter per host:
    libpq then tries them in turn, as it would with the original URL."""
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            raw = "postgresql+psycopg2://" + raw[len(prefix):]
            break
    scheme, rest = raw.split("://", 1) if "://" in raw else ("", raw)
    netloc, _, path_and_query = rest.partition("/")
    userinfo, _, hosts = netloc.rpartition("@")
    if "," not in hosts:
        return raw
    path, _, query = path_and_query.partition("?")
    parameters = [("host", host) for host in hosts.split(",")] + parse_qsl(query)
    user = f"{userinfo}@" if userinfo else ""
    return f"{scheme}://{user}/{path}?{urlencode(parameters, quote_via=quote, safe=':[]')}"


def database_urls(raw: str) -> tuple[str, ...]:
    """Comma-separated libpq URLs (each may itself list several hosts with commas)."""
    return tuple(database_url(url.strip()) for url in re.split(r",\s*(?=postgres(?:ql)?://)", raw) if url.strip())


def database_hosts(raw: str) -> list[str]:
    """The host names a libpq URL names (several for a multi-host URL; ``""`` for a Unix
    socket or the default)."""
    parts = urlsplit(raw.strip())
    netloc = parts.netloc.rpartition("@")[2]
    hosts = [host.rsplit(":", 1)[0] if not host.endswith("]") else host for host in netloc.split(",")]
    hosts += [value for name, value in parse_qsl(parts.query) if name == "host"]
    return [host.strip("[]") for host in hosts]


def replica_binds(urls: tuple[str, ...]) -> dict[str, str]:
    """Flask-SQLAlchemy binds of the replicas: one engine each, ``replica-1``, ``replica-2`` …"""
    return {f"replica-{number}": url for number, url in enumerate(urls, 1)}


def is_local_database(raw: str) -> bool:
    """Whether every host of the URL is this machine (loopback or a Unix socket)."""
    return all(host in LOCAL_HOSTS or host.startswith("/") for host in database_hosts(raw))


def read_or_create_secret(key_file: Path) -> str:
    """The secret kept in ``key_file``, created on first use.

    Every process starting at once (gunicorn's workers on a first boot) must end up with the
    same secret, and no one but the owner may ever read it. So a new secret is written in
    full to a file of its own, created with mode 0600 (``O_CREAT | O_EXCL``), and then linked
    to ``key_file``: the link fails if another process linked its secret first, and this
    process then reads that one. No process can read a half-written or world-readable file.
    """
    try:
        return _read_secret(key_file)
    except FileNotFoundError:
        pass
    key_file.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    candidate = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    handle = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "w") as file:
            file.write(secret)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(candidate, key_file)
        except FileExistsError:
            return _read_secret(key_file)
    finally:
        candidate.unlink()
    return secret


def _read_secret(key_file: Path) -> str:
    secret = key_file.read_text().strip()
    if not secret:
        raise ValueError(f"{key_file} is empty: delete it to have a new secret key made, or set SECRET_KEY")
    return secret


def engine_options(*, transaction_pooling: bool) -> dict:
    """SQLAlchemy engine options of every database engine (primary and replicas)."""
    connect_args = {"connect_timeout": env_int("DB_CONNECT_TIMEOUT", 3)}
    if not transaction_pooling:
        # Set once per connection. A pooler in transaction mode refuses this startup parameter.
        connect_args["options"] = f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 30000)}"
    return {
        "pool_pre_ping": True,
        # Error messages (and so logs) never carry statement parameters: keys, password hashes.
        "hide_parameters": True,
        "pool_size": env_int("DB_POOL_SIZE", 5),
        "max_overflow": env_int("DB_MAX_OVERFLOW", 5),
        # A request never waits long for the database: fail fast with 503 instead.
        "pool_timeout": env_int("DB_POOL_TIMEOUT", 5),
        "connect_args": connect_args,
    }


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one kept in var/ so sessions survive restarts.

    A database on another machine means, or may mean, several app hosts: each would make a
    key of its own, and a browser session started on one would not be read by the others.
    So then the key must be set, and the service refuses to start without it."""
    secret = os.environ.get("SECRET_KEY")
    if secret:
        return secret
    if not is_local_database(env_str("DATABASE_URL", DEFAULT_DATABASE_URL)):
        raise RuntimeError("SECRET_KEY must be set when DATABASE_URL is not on this machine: every app host "
                           "must sign sessions with the same key (docs/operations.md, Scaling out)")
    return read_or_create_secret(BASE_DIR / "var" / "secret_key")


class Config:
    """Settings of a running service. Every value can be set from the environment."""

    SQLALCHEMY_DATABASE_URI = database_url(env_str("DATABASE_URL", DEFAULT_DATABASE_URL))
    # Through a pooler in transaction mode (PgBouncer's pool_mode = transaction): no
    # session state is kept across transactions and no startup parameter is sent; the
    # statement timeout is set in each transaction instead (monitoring/database.py).
    DB_TRANSACTION_POOLING = env_bool("DB_TRANSACTION_POOLING", False)
    DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 30000)
    SQLALCHEMY_ENGINE_OPTIONS = engine_options(transaction_pooling=DB_TRANSACTION_POOLING)
    # Streaming replicas for the heavy reads (monitoring/replicas.py), as libpq URLs; each is
    # an engine of its own ("replica-1", …), with the same options as the primary's.
    DATABASE_REPLICA_URLS = database_urls(env_str("DATABASE_REPLICA_URLS", ""))
    SQLALCHEMY_BINDS = replica_binds(DATABASE_REPLICA_URLS)
    # A replica further behind than this is not waited for; one not caught up with the
    # primary within REPLICA_WAIT_MS is passed over (the read goes to the next, or to the
    # primary); one that failed is not asked again for REPLICA_RETRY_SECONDS.
    REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 5)
    REPLICA_WAIT_MS = env_int("REPLICA_WAIT_MS", 50)
    REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 5)
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SECRET_KEY = _secret_key()

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: Secure on HTTPS requests (direct, or X-Forwarded-Proto from a trusted proxy),
    # see monitoring/auth.py; true or false forces it either way.
    SESSION_COOKIE_SECURE = env_optional_bool("SESSION_COOKIE_SECURE")
    # Counted from login: the server ends the session then, whatever the cookie says.
    PERMANENT_SESSION_LIFETIME = env_int("SESSION_LIFETIME_SECONDS", 14 * 24 * 3600)
    # CSRF is enforced by the auth layer only for session-authenticated unsafe requests.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None

    PASSWORD_HASH_METHOD = env_str("PASSWORD_HASH_METHOD", "scrypt")
    # Login throttling (token and form, docs/operations.md). Failures are counted per
    # username and address pair, per username and per address; past its limit a count makes
    # each further attempt wait 1, 2, 4 … seconds, at most LOGIN_MAX_DELAY_SECONDS. A count
    # is forgotten LOGIN_FAILURE_WINDOW_SECONDS after its last failure. A correct password
    # from an address the user logged in from within LOGIN_KNOWN_ADDRESS_DAYS only answers
    # to the pair's count.
    LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_MAX_FAILURES_PER_USERNAME = env_int("LOGIN_MAX_FAILURES_PER_USERNAME", 20)
    LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 100)
    LOGIN_MAX_DELAY_SECONDS = env_int("LOGIN_MAX_DELAY_SECONDS", 300)
    LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
    LOGIN_KNOWN_ADDRESS_DAYS = env_int("LOGIN_KNOWN_ADDRESS_DAYS", 90)
    # API tokens stop authenticating this many days after they were issued (0: never).
    API_TOKEN_MAX_AGE_DAYS = env_int("API_TOKEN_MAX_AGE_DAYS", 0)
    MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)

    # Device samples: the largest accepted body, and whether WiFi sessions are tracked.
    DEVICE_DATA_MAX_BYTES = env_int("DEVICE_DATA_MAX_BYTES", 1024 * 1024)
    # How far ahead of the server's clock a sample's `time` may be (clock skew); older than
    # the retention period is refused too (docs/timeseries.md).
    SAMPLE_TIME_MAX_AHEAD_SECONDS = env_int("SAMPLE_TIME_MAX_AHEAD_SECONDS", 300)
    # What one device may send, generous for real hardware: interfaces in a sample, WiFi
    # clients per interface and in all of a sample, metrics of a device (one per interface
    # and kind). A device at these limits still reads fast (make bench-read).
    DEVICE_MAX_INTERFACES = env_int("DEVICE_MAX_INTERFACES", 128)
    DEVICE_MAX_WIFI_CLIENTS = env_int("DEVICE_MAX_WIFI_CLIENTS", 256)
    DEVICE_MAX_WIFI_CLIENTS_PER_SAMPLE = env_int("DEVICE_MAX_WIFI_CLIENTS_PER_SAMPLE", 512)
    DEVICE_MAX_METRICS = env_int("DEVICE_MAX_METRICS", 256)
    WIFI_SESSIONS_ENABLED = env_bool("WIFI_SESSIONS_ENABLED", True)
    AUTO_CHARTS = tuple(
        name.strip()
        for name in env_str("AUTO_CHARTS", "traffic,wifi_clients,uptime,packet_loss,rtt,memory,cpu,disk").split(",")
        if name.strip()
    )

    PAGE_SIZE_DEFAULT = 10
    PAGE_SIZE_MAX = 100

    # Nearby devices, map, WiFi sessions (docs/geo.md). `flask prune-wifi-sessions` deletes
    # sessions that started longer ago than this many days.
    WIFI_SESSIONS_RETENTION_DAYS = env_int("WIFI_SESSIONS_RETENTION_DAYS", 180)
    # Display labels of health statuses, e.g. "ok=Online,critical=Offline" (default: the status).
    HEALTH_STATUS_LABELS = dict(
        item.split("=", 1) for item in env_str("HEALTH_STATUS_LABELS", "").split(",") if "=" in item
    )
    # Link to a device's edit page, "{id}" replaced; empty: the device in the management API.
    DEVICE_ADMIN_URL = env_str("DEVICE_ADMIN_URL", "")
    # The map page's tiles, e.g. "https://tile.example.org/{z}/{x}/{y}.png" (Leaflet's URL
    # template); empty: a coarse world outline served by this site, which needs no internet.
    MAP_TILE_URL = env_str("MAP_TILE_URL", "")
    MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")

    API_TITLE = "Network Monitoring API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs/"
    # Served by this application from the swagger-ui-bundle package: no CDN needed.
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/assets/"

    # Operations (docs/operations.md): logs, Prometheus metrics, browsable API, proxies.
    LOG_LEVEL = env_str("LOG_LEVEL", "info")
    LOG_FORMAT = env_str("LOG_FORMAT", "auto")  # json, text, or auto: text on a terminal
    LOG_REQUESTS = env_bool("LOG_REQUESTS", True)
    METRICS_ENABLED = env_bool("METRICS_ENABLED", True)
    METRICS_TOKEN = env_str("METRICS_TOKEN", "")
    BROWSABLE_API = env_bool("BROWSABLE_API", True)
    TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

    # Charts (docs/charts.md): default window and zone of chart requests; the interfaces the
    # dashboard's traffic chart sums, per organization id or "__all__"; rollup refresh.
    DEFAULT_CHART_TIME = env_str("DEFAULT_CHART_TIME", "7d")
    TIME_ZONE = env_str("TIME_ZONE", "UTC")
    DASHBOARD_TRAFFIC_CHART = env_json(
        "MONITORING_DASHBOARD_TRAFFIC_CHART", {"__all__": ["wan", "eth1", "eth0.2"]}
    )
    ROLLUP_REFRESH_LOOKBACK_MINUTES = env_int("ROLLUP_REFRESH_LOOKBACK_MINUTES", 60)

    # Health, checks, notifications and the worker (docs/health.md).
    # Checks every new device gets (the worker also gives them to older devices).
    AUTO_PING = env_bool("AUTO_PING", True)
    AUTO_DATA_COLLECTED_CHECK = env_bool("AUTO_DATA_COLLECTED_CHECK", True)
    AUTO_WIFI_CLIENTS_CHECK = env_bool("AUTO_WIFI_CLIENTS_CHECK", False)
    # Ping: defaults of the check's parameters (count, interval, bytes, timeout), e.g.
    # '{"count": 3}'; the fping binary; addresses per fping process and processes at once;
    # fping's -i (ms between any two probes; empty: fping's default).
    PING_CHECK_CONFIG = env_json("PING_CHECK_CONFIG", {})
    FPING_PATH = env_str("FPING_PATH", "fping")
    PING_CHECK_BATCH_SIZE = env_int("PING_CHECK_BATCH_SIZE", 256)
    PING_CHECK_PROCESSES = env_int("PING_CHECK_PROCESSES", 4)
    PING_CHECK_MIN_INTERVAL_MS = env_int("PING_CHECK_MIN_INTERVAL_MS", 0) or None
    # Ping the management IP only (false: the last IP the device was seen at, when no
    # management IP is set).
    MANAGEMENT_IP_ONLY = env_bool("MANAGEMENT_IP_ONLY", True)
    # The networks whose addresses may be pinged, e.g. "10.0.0.0/8,fd00::/8"; a device with
    # an address elsewhere is not pinged. Empty: any address. Managers choose the addresses:
    # without a limit, the charts tell them which hosts of any network answer.
    PING_ALLOWED_NETWORKS = env_networks("PING_ALLOWED_NETWORKS")
    # Clear the management IP when a device turns critical. Off by default: nothing in this
    # service learns the address again (the reference relies on its controller for that).
    AUTO_CLEAR_MANAGEMENT_IP = env_bool("AUTO_CLEAR_MANAGEMENT_IP", False)
    # A critical device that sends data gets its critical checks run at once (by the worker).
    DEVICE_RECOVERY_DETECTION = env_bool("DEVICE_RECOVERY_DETECTION", True)
    # Minutes without a sample before "data collected" fails; WiFi clients check windows.
    DATA_COLLECTED_CHECK_INTERVAL = env_int("DATA_COLLECTED_CHECK_INTERVAL", 60)
    WIFI_CLIENTS_MAX_CHECK_INTERVAL = env_int("WIFI_CLIENTS_MAX_CHECK_INTERVAL", 5)
    WIFI_CLIENTS_MIN_CHECK_INTERVAL = env_int("WIFI_CLIENTS_MIN_CHECK_INTERVAL", 4320)
    # When the WiFi clients check sleeps, in TIME_ZONE: '[["12-24", "01-06"], ["22:00", "06:00"]]'
    # (MM-DD, HH:MM or MM-DD HH:MM; ends included).
    WIFI_CLIENTS_CHECK_SNOOZE_SCHEDULE = env_json("WIFI_CLIENTS_CHECK_SNOOZE_SCHEDULE", [])
    # Webhooks: the whole of one delivery (resolve, connect, send, answer) in seconds,
    # attempts, back-off (doubling from base up to max), and how long finished deliveries
    # are kept.
    WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
    WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
    WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
    WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600)
    WEBHOOK_DELIVERIES_RETENTION_DAYS = env_int("WEBHOOK_DELIVERIES_RETENTION_DAYS", 7)
    # Organizations delivered to at once, the longest one run of the webhooks job takes
    # (deliveries not started by then wait for the next run), and how much of a receiver's
    # answer is read (its status line and headers; the body is never needed).
    WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 4)
    WEBHOOK_RUN_MAX_SECONDS = env_int("WEBHOOK_RUN_MAX_SECONDS", 30)
    WEBHOOK_MAX_ANSWER_BYTES = env_int("WEBHOOK_MAX_ANSWER_BYTES", 4096)
    # Let webhooks call loopback, private, link-local and other non-public addresses (a
    # receiver on the local network). Cloud metadata endpoints stay refused either way.
    WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
    # E-mail notifications (docs/alerting.md, "E-mail"): the SMTP server (no host: no e-mail
    # is sent, and what was due is marked skipped), STARTTLS or TLS from the first byte, the
    # login, the sender, and the seconds one SMTP conversation may take.
    EMAIL_HOST = env_str("EMAIL_HOST", "")
    EMAIL_PORT = env_port("EMAIL_PORT", 25)
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_FROM = env_str("EMAIL_FROM", "monitoring@localhost")
    EMAIL_TIMEOUT_SECONDS = env_int("EMAIL_TIMEOUT_SECONDS", 10)
    # A problem followed by its recovery within this many seconds is one e-mail; every e-mail
    # waits this long after its notification for that reason. A digest is sent at most once
    # per EMAIL_BATCH_INTERVAL seconds (3 hours, as OpenWISP).
    EMAIL_COLLAPSE_SECONDS = env_int("EMAIL_COLLAPSE_SECONDS", 300)
    EMAIL_BATCH_INTERVAL = env_int("EMAIL_BATCH_INTERVAL", 3 * 3600)
    # Attempts of one e-mail, the back-off between them (doubling from base up to max), and
    # how long finished deliveries are kept.
    EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 8)
    EMAIL_RETRY_BASE_SECONDS = env_int("EMAIL_RETRY_BASE_SECONDS", 60)
    EMAIL_RETRY_MAX_SECONDS = env_int("EMAIL_RETRY_MAX_SECONDS", 3600)
    EMAIL_DELIVERIES_RETENTION_DAYS = env_int("EMAIL_DELIVERIES_RETENTION_DAYS", 7)
    # The service's name and address, as e-mails show them: links to device pages start
    # with SITE_URL.
    SITE_NAME = env_str("SITE_NAME", "Network Monitoring")
    SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
    # Retention of the hypertables in days: metrics, the "short" class (data collected), and
    # per-table overrides, e.g. '{"ping_points": 365}'.
    RETENTION_DAYS = env_int("RETENTION_DAYS", 1095)
    SHORT_RETENTION_DAYS = env_int("SHORT_RETENTION_DAYS", 1)
    RETENTION_DAYS_BY_TABLE = env_json("RETENTION_DAYS_BY_TABLE", {})
    # The worker: seconds between passes, and each job's period.
    WORKER_TICK_SECONDS = env_int("WORKER_TICK_SECONDS", 5)
    RECOVERY_CHECKS_INTERVAL_SECONDS = env_int("RECOVERY_CHECKS_INTERVAL_SECONDS", 5)
    WEBHOOK_INTERVAL_SECONDS = env_int("WEBHOOK_INTERVAL_SECONDS", 10)
    EMAIL_INTERVAL_SECONDS = env_int("EMAIL_INTERVAL_SECONDS", 10)
    # Notifications held by maintenance windows are released this soon after a device leaves one.
    MAINTENANCE_INTERVAL_SECONDS = env_int("MAINTENANCE_INTERVAL_SECONDS", 10)
    CHECKS_INTERVAL_SECONDS = env_int("CHECKS_INTERVAL_SECONDS", 300)
    ROLLUP_REFRESH_INTERVAL_SECONDS = env_int("ROLLUP_REFRESH_INTERVAL_SECONDS", 300)
    RETENTION_INTERVAL_SECONDS = env_int("RETENTION_INTERVAL_SECONDS", 3600)
    WIFI_SESSIONS_PRUNE_INTERVAL_SECONDS = env_int("WIFI_SESSIONS_PRUNE_INTERVAL_SECONDS", 86400)
    # Expired browser sessions, forgotten login counts and known addresses are deleted.
    ACCOUNTS_PRUNE_INTERVAL_SECONDS = env_int("ACCOUNTS_PRUNE_INTERVAL_SECONDS", 3600)

    # Live events (docs/events.md): whether this process serves the stream (a server made
    # for long-lived connections: gunicorn with threads, `make run` starts one on
    # EVENTS_PORT), seconds of silence before a heartbeat, seconds between checks that the
    # stream's token or session still holds, how long events are kept for reconnecting
    # clients, and how many a reconnection gets at most.
    EVENTS_STREAM = env_bool("EVENTS_STREAM", False)
    EVENTS_HEARTBEAT_SECONDS = env_int("EVENTS_HEARTBEAT_SECONDS", 15)
    EVENTS_RECHECK_SECONDS = env_int("EVENTS_RECHECK_SECONDS", 5)
    EVENTS_RETENTION_SECONDS = env_int("EVENTS_RETENTION_SECONDS", 3600)
    EVENTS_REPLAY_MAX = env_int("EVENTS_REPLAY_MAX", 1000)
    EVENTS_PRUNE_INTERVAL_SECONDS = env_int("EVENTS_PRUNE_INTERVAL_SECONDS", 300)
    # Where the pages open the stream: the path behind a proxy that routes it to the events
    # server (/api/v1/monitoring/events/), or the events server's own URL (make run:
    # http://127.0.0.1:8001/api/v1/monitoring/events/); empty: no stream, the pages fetch
    # what they show again every PAGES_REFRESH_SECONDS (as they do while the stream is down).
    EVENTS_URL = env_str("EVENTS_URL", "").strip()
    # On the events server: the origins (scheme://host:port) of pages served by another
    # server that may open the stream with their session cookie (make run: the API's).
    EVENTS_ALLOWED_ORIGINS = frozenset(
        origin.strip().rstrip("/") for origin in env_str("EVENTS_ALLOWED_ORIGINS", "").split(",") if origin.strip())
    PAGES_REFRESH_SECONDS = env_int("PAGES_REFRESH_SECONDS", 30)

    TESTING = False


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = database_url(
        env_str("TEST_DATABASE_URL", env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:54330/monitoring"))
    )
    SECRET_KEY = "test-secret-key"
    # Hashing is deliberately slow in production; tests create many users.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
