"""Notification texts are Markdown read by superusers and webhook receivers: a device name,
which a manager chooses, is text in them and never markup."""
from __future__ import annotations

import uuid

import pytest
from markdown_it import MarkdownIt

from monitoring.registry import NOTIFICATION_VERBS
from monitoring.services.notifications import texts

HOSTILE_NAMES = [
    "[click](https://evil.example)",
    "x](https://evil.example) [y",
    "![pixel](https://evil.example/p.png)",
    "<https://evil.example>",
    "<a href='https://evil.example'>x</a>",
    "**urgent** `rm -rf` _now_ ~~old~~",
    "see https://evil.example or www.evil.example",
    "back\\](https://evil.example)",
    "ap\n\n# Heading\n- item\n> quote",
    "&#91;click&#93;(https://evil.example)",
]
PLAIN_NAMES = ["ap-lobby-01", "Router 2 (floor 3)", "AP_5.lobby:8080"]


def rendered(message: str) -> tuple[list[str], str, list[str]]:
    """(link targets, the text a reader sees, kinds of markup other than links and text)
    of ``message`` rendered as CommonMark."""
    [paragraph_open, inline, paragraph_close] = MarkdownIt("commonmark").parse(message)
    assert (paragraph_open.type, paragraph_close.type) == ("paragraph_open", "paragraph_close")
    links = [token.attrs["href"] for token in inline.children if token.type == "link_open"]
    text = "".join(token.content for token in inline.children if token.type in ("text", "softbreak"))
    markup = sorted({token.type for token in inline.children} - {"link_open", "link_close", "text"})
    return links, text, markup


@pytest.mark.parametrize("name", HOSTILE_NAMES + PLAIN_NAMES)
@pytest.mark.parametrize(("configuration", "kind"),
                         [(configuration, kind) for configuration in NOTIFICATION_VERBS
                          for kind in ("problem", "recovery")])
def test_a_device_name_is_text_in_every_notification(name, configuration, kind):
    device_id = uuid.uuid4()
    message = texts.for_change(configuration=configuration, kind=kind, device_id=device_id,
                                       device_name=name, threshold=90.0)["message"]
    links, text, markup = rendered(message)
    assert links == [f"/api/v1/monitoring/device/{device_id}/"]  # the device, and nothing else
    assert markup == []
    assert " ".join(name.split()) in text  # shown as given (line breaks become spaces)


def test_letters_digits_spaces_and_hyphens_are_left_alone():
    assert texts.escape_markdown("Router 2 ap-lobby-01") == "Router 2 ap-lobby-01"
    assert texts.escape_markdown("ap (floor 3)") == "ap \\(floor 3\\)"
