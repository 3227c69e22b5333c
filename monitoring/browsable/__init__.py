"""The browsable API: any GET endpoint opened in a web browser answers an HTML page around
its JSON (title and description from the OpenAPI document, clickable links, a filter form,
pagination, login/logout). JSON clients get exactly what they got before."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from monitoring.browsable.page import html_for_browsers

    app.after_request(html_for_browsers)
