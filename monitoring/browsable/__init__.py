"""The browsable API: any GET endpoint opened in a web browser answers an HTML page around
its JSON (title and description from the OpenAPI document, clickable links, a filter form,
pagination, login/logout). JSON clients get exactly what they got before."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, send_from_directory


def init_app(app: Flask) -> None:
    from monitoring.browsable.page import html_for_browsers

    app.after_request(html_for_browsers)
    # Browsers ask for /favicon.ico whatever the page says (a JSON answer says nothing).
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def _favicon():
    return send_from_directory(Path(current_app.static_folder) / "ui", "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)
