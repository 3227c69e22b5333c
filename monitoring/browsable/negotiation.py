"""Does this client want HTML? Only when it says so: browsers list ``text/html`` first,
while API clients send ``application/json``, ``*/*`` or no Accept header at all."""
from __future__ import annotations

from werkzeug.datastructures import MIMEAccept

# JSON first: on a tie (``*/*``) the client gets JSON.
_OFFERS = ("application/json", "text/html")


def prefers_html(accept: MIMEAccept) -> bool:
    return accept.best_match(_OFFERS) == "text/html"
