"""Pages made for people: the endpoints whose answer is worth seeing drawn (charts, the
device list as a table, the map, notifications) answer a browser with a page of their own
instead of the generic one. The page gets the JSON answer of its own URL, embedded; its
scripts draw it and fetch further answers from the same API with the session cookie, as
any JSON client does. There is no second code path for the data.

``?format=json`` gives the JSON itself to a browser, ``?format=api`` the generic page
(documentation, parameters as a form, the JSON with links): both are one click away from
every page. Programs, which do not ask for HTML, get the JSON whatever ``format`` says.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, url_for
from markupsafe import Markup, escape

from monitoring.models import HEALTH_STATUSES


@dataclass(frozen=True)
class View:
    """A page for one GET operation (by its OpenAPI path)."""

    template: str
    # Its script fetches more answers of the API (the CSP then allows requests to this site).
    fetches: bool = True


VIEWS = {
    "/api/v1/monitoring/device/{pk}/": View("browsable/device.html"),
    "/api/v1/monitoring/dashboard/": View("browsable/dashboard.html"),
    "/api/v1/monitoring/device/": View("browsable/devices.html"),
    "/api/v1/monitoring/geojson/": View("browsable/map.html"),
    "/api/v1/monitoring/location/{location_id}/device/": View("browsable/location_devices.html", fetches=False),
    "/api/v1/notifications/notification/": View("browsable/notifications.html"),
    "/api/v1/monitoring/wifi-session/": View("browsable/wifi_sessions.html"),
    "/api/v1/monitoring/device/{pk}/nearby-devices/": View("browsable/nearby.html", fetches=False),
}

# The navigation bar of every page: (label, path).
NAVIGATION = (
    ("Dashboard", "/api/v1/monitoring/dashboard/"),
    ("Devices", "/api/v1/monitoring/device/"),
    ("Map", "/api/v1/monitoring/geojson/"),
    ("Notifications", "/api/v1/notifications/notification/"),
    ("WiFi sessions", "/api/v1/monitoring/wifi-session/"),
)

# Colours of the health statuses (those of the reference's admin site) and a symbol for
# each, so that colour is never the only sign of a status.
STATUS_COLORS = {"ok": "#267126", "problem": "#ffb442", "critical": "#a72d1d", "unknown": "#353c44",
                 "deactivated": "#000000"}
STATUS_SYMBOLS = {"ok": "✔", "problem": "▲", "critical": "✖", "unknown": "?", "deactivated": "■"}


def view_for(openapi_path: str | None, *, status: int, display: str | None) -> View | None:
    """The page of this answer, or None for the generic one: only successful answers get
    their own page, and ``?format=api`` asks for the generic one."""
    if openapi_path is None or status != 200 or display == "api":
        return None
    return VIEWS.get(openapi_path)


def statuses() -> list[dict]:
    """Every health status with its label (``HEALTH_STATUS_LABELS``), colour and symbol."""
    labels = current_app.config["HEALTH_STATUS_LABELS"]
    return [{"status": status, "label": labels.get(status, status), "color": STATUS_COLORS[status],
             "symbol": STATUS_SYMBOLS[status]} for status in HEALTH_STATUSES]


def image_sources() -> str:
    """``img-src`` of a page: this site, and the tile server's origin when one is set."""
    tile_url = current_app.config.get("MAP_TILE_URL", "")
    if not tile_url:
        return "'self'"
    parts = urlsplit(tile_url)
    # Leaflet's "{s}" subdomains (a., b., c.) are any subdomain to the policy.
    return f"'self' {parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def connect_sources() -> str:
    """``connect-src`` of a page whose scripts read the API: this site, and the events
    server's origin when the stream is on another one (``EVENTS_URL``)."""
    events = urlsplit(current_app.config.get("EVENTS_URL", ""))
    if not events.scheme or not events.netloc:
        return "'self'"
    return f"'self' {events.scheme}://{events.netloc}"


def page_links(query: str) -> dict:
    """The other forms of this answer: the JSON itself and the generic page."""
    kept = "&".join(part for part in query.split("&") if part and not part.startswith("format="))
    joiner = f"?{kept}&" if kept else "?"
    return {"json": f"{joiner}format=json", "api": f"{joiner}format=api",
            "docs": url_for("api-docs.openapi_swagger_ui")}


_CODE = re.compile(r"`([^`]+)`")
# [text](/site/path): links to this site only; the text may hold Markdown escapes (\[, \_).
_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\((/[^)\s]*)\)")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


def inline_markdown(text: str | None) -> Markup:
    """The little Markdown of this API's texts, as HTML: `code` in descriptions, and links
    to this site with escaped text in notification messages. Everything else is escaped:
    any other markup stays text."""
    if not text:
        return Markup("")
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        parts.append(_code_spans(text[position:match.start()]))
        label = _ESCAPED.sub(r"\1", match.group(1))
        parts.append(f'<a href="{escape(match.group(2))}">{escape(label)}</a>')
        position = match.end()
    parts.append(_code_spans(text[position:]))
    return Markup("".join(parts))


def _code_spans(text: str) -> str:
    pieces = []
    position = 0
    for match in _CODE.finditer(text):
        pieces.append(str(escape(_ESCAPED.sub(r"\1", text[position:match.start()]))))
        pieces.append(f"<code>{escape(match.group(1))}</code>")
        position = match.end()
    pieces.append(str(escape(_ESCAPED.sub(r"\1", text[position:]))))
    return "".join(pieces)
