"""Keeping secrets out of logs.

Devices authenticate with ``?key=`` in the URL, so a raw query string is a credential; the
request log keeps the parameter names (useful when debugging) and drops the values of the
sensitive ones. Headers (Authorization, Cookie) and bodies (passwords) are never logged.
"""
from __future__ import annotations

from urllib.parse import unquote_plus

REDACTED = "[redacted]"
SECRET_PARAMETERS = frozenset({
    "key", "token", "access_token", "api_key", "apikey", "password", "secret", "csrf_token",
    "session", "auth", "authorization",
})
# A query string longer than this is cut: a log line is not a place for megabytes.
MAX_QUERY_CHARS = 1000


def _is_secret(raw_name: str) -> bool:
    # Names are compared as the application reads them: percent- and plus-decoded.
    name = unquote_plus(raw_name) if "%" in raw_name or "+" in raw_name else raw_name
    return name.lower() in SECRET_PARAMETERS


def redact_query(query: str) -> str:
    """The query string as sent, with the values of secret-looking parameters replaced.
    Runs for every logged request with a query (every device POST): plain string work."""
    if not query:
        return ""
    parts = query.split("&")
    for i, part in enumerate(parts):
        name, sep, _ = part.partition("=")
        if _is_secret(name):
            parts[i] = f"{name}={REDACTED}"
    text = "&".join(parts)
    return text if len(text) <= MAX_QUERY_CHARS else text[:MAX_QUERY_CHARS] + "…"


def without_secrets(query: str) -> str:
    """The query string without its secret-looking parameters (for links that carry the
    current URL along, such as a login page's ``next``)."""
    return "&".join(part for part in query.split("&") if part and not _is_secret(part.partition("=")[0]))
