"""A JSON document as HTML: laid out like ``json.dumps(indent=2)``, every value escaped,
with links where a value leads somewhere: absolute http(s) URLs (``next``/``previous``),
site paths, the ``id`` of a list item (its detail page) and ids of related objects
(``organization``, ``group``, ``location``, ...), each only when this site routes it."""
from __future__ import annotations

import json
import re
from collections.abc import Callable

from markupsafe import Markup, escape

INDENT = "  "
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Field names whose uuid value is the id of an object with a detail endpoint here.
RELATED_DETAIL = {
    "organization": "/api/v1/users/organization/{}/",
    "user": "/api/v1/users/user/{}/",
    "group": "/api/v1/controller/group/{}/",
    "device": "/api/v1/controller/device/{}/",
    "location": "/api/v1/controller/location/{}/",
    "floorplan": "/api/v1/controller/floorplan/{}/",
}

LinkFinder = Callable[[str | None, str, int], str | None]


def candidate_link(key: str | None, value: str, depth: int, *, collection_path: str | None) -> str | None:
    """Where ``value`` (found under ``key`` at ``depth``) may lead, before checking that the
    site has such a route. ``collection_path`` is the path of the list being shown, if any."""
    if value.startswith(("http://", "https://")) and not any(c.isspace() for c in value):
        return value
    if value.startswith("/") and not value.startswith("//") and not any(c.isspace() for c in value):
        return value
    if not UUID.fullmatch(value):
        return None
    if key == "id" and collection_path is not None and depth > 1:
        return f"{collection_path}{value}/"
    template = RELATED_DETAIL.get(key or "")
    return template.format(value) if template else None


def render(document, link_for: LinkFinder) -> Markup:
    """The document as HTML (to be placed in a ``<pre>``)."""
    parts: list[str] = []
    _render(document, None, 0, link_for, parts)
    return Markup("".join(parts))


def _render(value, key: str | None, depth: int, link_for: LinkFinder, out: list[str]) -> None:
    pad = INDENT * depth
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        out.append("{\n")
        for i, (name, item) in enumerate(value.items()):
            out.append(f'{pad}{INDENT}<span class="key">{escape(json.dumps(str(name), ensure_ascii=False))}</span>: ')
            _render(item, str(name), depth + 1, link_for, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(pad + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[]")
            return
        out.append("[\n")
        for i, item in enumerate(value):
            out.append(pad + INDENT)
            # List items keep the list's key: the ids in "results" are items of a collection.
            _render(item, key, depth + 1, link_for, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(pad + "]")
    elif isinstance(value, str):
        literal = escape(json.dumps(value, ensure_ascii=False))
        href = link_for(key, value, depth)
        if href:
            out.append(f'<a class="string" href="{escape(href)}">{literal}</a>')
        else:
            out.append(f'<span class="string">{literal}</span>')
    elif value is None or isinstance(value, bool):
        out.append(f'<span class="literal">{json.dumps(value)}</span>')
    else:
        out.append(f'<span class="number">{escape(json.dumps(value))}</span>')
