"""The e-mail of a plan's message: a subject, a plain-text part and an HTML part, each
notification with its time and a link to the device's page."""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from monitoring.registry import METRICS
from monitoring.services.notifications import texts
from monitoring.services.notifications.email_plan import Item, Pending

PREFERENCES_PATH = "/api/v1/notifications/email-preference/"


@dataclass(frozen=True)
class Site:
    """The service as its e-mails name it."""

    name: str
    url: str  # without a trailing slash
    sender: str

    @classmethod
    def from_config(cls, config) -> Site:
        return cls(name=config["SITE_NAME"], url=config["SITE_URL"].rstrip("/"), sender=config["EMAIL_FROM"])

    def device_url(self, device_id) -> str:
        return self.url + texts.device_url(device_id)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _metric_label(row: Pending) -> str:
    configuration = row.type.rsplit("_", 1)[0]
    return METRICS[configuration].label if configuration in METRICS else configuration


def _item_title(item: Item) -> str:
    first = item.rows[0]
    kind = "Problem and recovery" if len(item.rows) > 1 else ("Problem" if first.is_problem else "Recovery")
    return f"{kind}: {first.device_name or 'a device'}, {_metric_label(first)}"


def subject(message: list[Item], site: Site) -> str:
    """One item: what happened to which device; several: how many notifications."""
    if len(message) == 1:
        return f"[{site.name}] {_item_title(message[0])}"
    return f"[{site.name}] {sum(len(item.rows) for item in message)} notifications"


def _text_part(message: list[Item], site: Site) -> str:
    blocks = []
    for item in message:
        lines = [f"{texts.plain_text(row.message)} ({_when(row.timestamp)})" for row in item.rows]
        if item.rows[0].device_id is not None:
            lines.append(f"Device: {site.device_url(item.rows[0].device_id)}")
        blocks.append("\n".join(lines))
    footer = f"-- \n{site.name} ({site.url})\nWhich e-mails you get: {site.url}{PREFERENCES_PATH}"
    return "\n\n".join([*blocks, footer]) + "\n"


def _html_row(row: Pending, site: Site) -> str:
    """The message with its link (to a page of this site) made absolute; all text escaped."""
    text = "".join(html.escape(piece) if url is None else
                   f'<a href="{html.escape(site.url + url if url.startswith("/") else url)}">{html.escape(piece)}</a>'
                   for piece, url in texts.pieces(row.message))
    return f"<p>{text} <small>({_when(row.timestamp)})</small></p>"


def _html_part(message: list[Item], site: Site) -> str:
    sections = [f"<h3>{html.escape(_item_title(item))}</h3>" + "".join(_html_row(row, site) for row in item.rows)
                for item in message]
    footer = (f'<hr><p><small><a href="{html.escape(site.url)}">{html.escape(site.name)}</a> · '
              f'<a href="{html.escape(site.url + PREFERENCES_PATH)}">which e-mails you get</a></small></p>')
    return f"<!DOCTYPE html><html><body>{''.join(sections)}{footer}</body></html>\n"


def compose(message: list[Item], *, to: str, site: Site, now: datetime) -> EmailMessage:
    """The e-mail telling ``message`` to ``to``, with a new ``Message-ID``."""
    email = EmailMessage()
    email["Subject"] = subject(message, site)
    email["From"] = site.sender
    email["To"] = to
    email["Date"] = format_datetime(now.astimezone(UTC))
    email["Message-ID"] = make_msgid(domain=site.sender.rpartition("@")[2] or None)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(_text_part(message, site))
    email.add_alternative(_html_part(message, site), subtype="html")
    return email
