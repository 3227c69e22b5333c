"""Texts of problem and recovery notifications (docs/metrics.md §1.3)."""
from __future__ import annotations

import re

from monitoring.registry import METRICS, NOTIFICATION_VERBS

LEVELS = {"problem": "warning", "recovery": "info"}
RESOURCE_NAMES = {"cpu": "CPU usage", "memory": "RAM usage", "disk": "disk usage"}


def notification_type(configuration: str, kind: str) -> str:
    return f"{configuration}_{kind}"


# What can start markup within a line of Markdown: links, images, emphasis, code, raw HTML,
# autolinks and entities, and the ":" and "." of the bare links some renderers make. Each is
# escaped with a backslash, as CommonMark allows for any ASCII punctuation.
_MARKUP_CHARACTERS = re.compile(r"([\\`*_\[\]()<>!#|~.:&])")


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that renders as that text and nothing else. Line breaks become
    spaces: text inside a line cannot start a heading, a list or a quote."""
    return _MARKUP_CHARACTERS.sub(r"\\\1", re.sub(r"[\r\n]+", " ", text))


_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)\)")
_ESCAPED = re.compile(r"\\(.)")


def pieces(markdown: str) -> list[tuple[str, str | None]]:
    """A message of ``message()`` as ``(text, url)`` pieces in order, ``url`` None outside
    links, escapes undone: what the Markdown renders as, without the markup."""
    result: list[tuple[str, str | None]] = []
    position = 0
    for link in _LINK.finditer(markdown):
        result.append((_ESCAPED.sub(r"\1", markdown[position:link.start()]), None))
        result.append((_ESCAPED.sub(r"\1", link.group(1)), link.group(2)))
        position = link.end()
    result.append((_ESCAPED.sub(r"\1", markdown[position:]), None))
    return [(text, url) for text, url in result if text]


def plain_text(markdown: str) -> str:
    """A message of ``message()`` as plain text: links become their text."""
    return "".join(text for text, _ in pieces(markdown))


def message(*, configuration: str, kind: str, device_name: str, device_url: str, threshold: float | None) -> str:
    """The markdown message, with a link to the device. The device's name is chosen by a
    manager and read by superusers and webhook receivers: it is escaped, never markup."""
    target = f"[{escape_markdown(device_name)}]({device_url})"
    verb = NOTIFICATION_VERBS[configuration][0 if kind == "problem" else 1]
    label = METRICS[configuration].label
    if configuration in RESOURCE_NAMES:
        if kind == "problem":
            return f"The device {target} {verb} {RESOURCE_NAMES[configuration]}, which has gone over {threshold:g}%."
        return f"The device {target} {RESOURCE_NAMES[configuration]} {verb}."
    if configuration == "data_collected" and kind == "problem":
        return f"The {target} device has not been sending monitoring data."
    if configuration == "config_applied" and kind == "problem":
        return f"The configuration of device {target} has not been applied in a timely manner."
    if configuration.startswith("wifi_clients"):
        return f"{label} of device {target} {verb}."
    return f"The device {target} {verb}."


def device_url(device_id) -> str:
    """Where a notification's message links the device to."""
    return f"/api/v1/monitoring/device/{device_id}/"


def for_change(*, configuration: str, kind: str, device_id, device_name: str, threshold: float | None) -> dict:
    """``type``, ``level`` and ``message`` of the notification a health change calls for."""
    return {
        "type": notification_type(configuration, kind),
        "level": LEVELS[kind],
        "message": message(configuration=configuration, kind=kind, device_name=device_name,
                           device_url=device_url(device_id), threshold=threshold),
    }
