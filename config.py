"""Configuration read from the environment, with defaults that work on a laptop."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

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


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def database_url(raw: str) -> str:
    """Accept the usual ``postgresql://`` / ``postgres://`` URLs; the driver is psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg2://" + raw[len(prefix):]
    return raw


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one kept in var/ so sessions survive restarts."""
    configured = os.environ.get("SECRET_KEY")
    if configured:
        return configured
    key_file = BASE_DIR / "var" / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


class Config:
    """Settings of a running service. Every value can be set from the environment."""

    SQLALCHEMY_DATABASE_URI = database_url(
        env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:54329/monitoring")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "pool_size": env_int("DB_POOL_SIZE", 5),
        "max_overflow": env_int("DB_MAX_OVERFLOW", 5),
        # A request never waits long for the database: fail fast with 503 instead.
        "pool_timeout": env_int("DB_POOL_TIMEOUT", 5),
        "connect_args": {
            "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 3),
            "options": f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 30000)}",
        },
    }
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SECRET_KEY = _secret_key()

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = env_int("SESSION_LIFETIME_SECONDS", 14 * 24 * 3600)
    # CSRF is enforced by the auth layer only for session-authenticated unsafe requests.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None

    PASSWORD_HASH_METHOD = env_str("PASSWORD_HASH_METHOD", "scrypt")
    MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)

    # Device samples: the largest accepted body, and whether WiFi sessions are tracked.
    DEVICE_DATA_MAX_BYTES = env_int("DEVICE_DATA_MAX_BYTES", 1024 * 1024)
    WIFI_SESSIONS_ENABLED = env_bool("WIFI_SESSIONS_ENABLED", True)
    AUTO_CHARTS = tuple(
        name.strip()
        for name in env_str("AUTO_CHARTS", "traffic,wifi_clients,uptime,packet_loss,rtt,memory,cpu,disk").split(",")
        if name.strip()
    )

    PAGE_SIZE_DEFAULT = 10
    PAGE_SIZE_MAX = 100

    API_TITLE = "Network Monitoring API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs/"
    # Served by this application from the swagger-ui-bundle package: no CDN needed.
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/assets/"

    TESTING = False


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = database_url(
        env_str("TEST_DATABASE_URL", env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:54330/monitoring"))
    )
    SECRET_KEY = "test-secret-key"
    # Hashing is deliberately slow in production; tests create many users.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
