"""Webhook receivers for tests: real HTTP(S) servers on 127.0.0.1, in threads, that answer
the way they are told (a status, a redirect, bytes trickled one by one, nothing at all, an
endless body), a resolver whose answers the test decides, and a self-signed certificate;
and a real SMTP server for the e-mails."""
from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy as email_policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

from monitoring.extensions import db
from monitoring.models import EmailDelivery, NotificationWebhook, WebhookDelivery, utcnow
from monitoring.services.notifications import emails, webhook_targets, webhooks
from monitoring.services.notifications.email_messages import Site

# Local receivers are private addresses: delivery tests allow them explicitly.
POLICY = webhooks.Policy(timeout=2, max_attempts=3, retry_base=timedelta(seconds=30),
                         retry_max=timedelta(minutes=10), allow_private_targets=True)


@dataclass
class Received:
    method: str
    headers: Message
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a receiver told to hang must not hold up the test's end


class Receiver:
    """A local HTTP server. Each request is recorded, then answered by ``respond(receiver,
    handler)``; the default answers the queued ``statuses`` in turn, then 200."""

    def __init__(self, respond: Callable | None = None, *, tls: ssl.SSLContext | None = None):
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.respond = respond or answer_statuses
        self.closing = threading.Event()
        self.bytes_sent = 0  # of the answer, for the receivers that stream one
        self.server_names: list[str | None] = []  # TLS server names (SNI) clients asked for
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(Received(self.command, self.headers, body))
                try:
                    receiver.respond(receiver, self)
                except OSError:
                    pass  # the client went away: that is what several tests expect

            do_GET = do_POST  # a client following a redirect would come back with a GET

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url_for(self, host: str) -> str:
        return self.url.replace("127.0.0.1", host)

    def close(self):
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


# --- ways to answer --------------------------------------------------------------------------

def answer_statuses(receiver: Receiver, handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def redirect_to(url: str, status: int = 302) -> Callable:
    def respond(receiver, handler):
        handler.send_response(status)
        handler.send_header("Location", url)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    return respond


def trickle(receiver: Receiver, handler: BaseHTTPRequestHandler) -> None:
    """A valid 200 answer, one byte every 0.25 s (10 s in all): each read gets a byte well
    within any per-read timeout."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n":
        if receiver.closing.is_set():
            return
        handler.wfile.write(bytes([byte]))
        time.sleep(0.25)


def hang(receiver: Receiver, handler: BaseHTTPRequestHandler) -> None:
    """Read the request, answer nothing, keep the connection open."""
    receiver.closing.wait(30)


HUGE_BODY_BYTES = 512 * 1024 * 1024


def huge_body(receiver: Receiver, handler: BaseHTTPRequestHandler) -> None:
    """200 with a 512 MiB body, streamed until the client stops reading."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(HUGE_BODY_BYTES))
    handler.end_headers()
    chunk = b"x" * 65536
    while receiver.bytes_sent < HUGE_BODY_BYTES and not receiver.closing.is_set():
        handler.wfile.write(chunk)
        receiver.bytes_sent += len(chunk)


# --- the world around ------------------------------------------------------------------------

class FakeDns:
    """What webhook host names resolve to, decided by the test (the names a test uses are
    not in any real DNS). Address literals resolve as themselves; other names do not resolve."""

    def __init__(self):
        self.names: dict[str, list[str]] = {}
        self.lookups: list[str] = []

    def resolve(self, host: str, port: int):
        self.lookups.append(host)
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(address) for address in self.names[host]]

    @classmethod
    def install(cls, monkeypatch) -> FakeDns:
        dns = cls()
        monkeypatch.setattr(webhook_targets, "resolve", dns.resolve)
        return dns


@dataclass
class Certificate:
    """A self-signed certificate for ``name``, its key, and a client context trusting it."""

    name: str
    cert: Path
    key: Path
    client: ssl.SSLContext = field(init=False)

    def __post_init__(self):
        self.client = ssl.create_default_context(cafile=str(self.cert))

    def server(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    @classmethod
    def create(cls, directory: Path, name: str) -> Certificate:
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
                        "-addext", f"subjectAltName=DNS:{name}"], check=True, capture_output=True)
        return cls(name, cert, key)


def hook(org, url: str) -> NotificationWebhook:
    """The organization's webhook, written directly (no save-time check): deliveries must
    check the address again themselves."""
    webhook = NotificationWebhook(organization_id=org.id, url=url)
    db.session.add(webhook)
    db.session.commit()
    return webhook


def queue(org, count: int = 1) -> list[WebhookDelivery]:
    """``count`` due deliveries of the organization, as the outbox trigger writes them."""
    now = utcnow()
    rows = [WebhookDelivery(organization_id=org.id, type="ping_problem", level="warning",
                            message=f"problem {n}", event_time=now - timedelta(seconds=count - n),
                            next_attempt_at=now) for n in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def deliveries(org=None) -> list[WebhookDelivery]:
    db.session.expire_all()
    statement = db.select(WebhookDelivery).order_by(WebhookDelivery.event_time)
    if org is not None:
        statement = statement.where(WebhookDelivery.organization_id == org.id)
    return db.session.scalars(statement).all()


# --- e-mail ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, in a thread of its own. Every message it
    takes is kept, parsed, in ``messages``; the queued ``answers`` (e.g. ``"451 try later"``)
    answer the next messages instead of accepting them. While ``hold`` is clear, a message
    is kept but its answer waits: the client sits in the middle of handing it over. With
    ``hang_up`` set, the next message is kept and the connection closed instead of an answer."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.answers: list[str] = []
        self.hold = threading.Event()
        self.hold.set()
        self.hang_up = False
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.closed = False

    async def handle_DATA(self, server, session, envelope):
        if self.answers:
            return self.answers.pop(0)
        self.messages.append(BytesParser(policy=email_policy.default).parsebytes(envelope.content))
        if self.hang_up:
            self.hang_up = False
            server.transport.close()
        await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 30)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def close(self):
        self.hold.set()
        if not self.closed:
            self.controller.stop()
            self.closed = True


def email_policy_for(mailbox: Mailbox, **changes) -> emails.Policy:
    """What the worker would use with EMAIL_HOST and EMAIL_PORT naming ``mailbox``."""
    policy = emails.Policy(
        host="127.0.0.1", port=mailbox.port, use_tls=False, use_ssl=False, user="", password="", timeout=5,
        max_attempts=3, retry_base=timedelta(seconds=30), retry_max=timedelta(minutes=10),
        collapse=timedelta(minutes=5), batch=timedelta(hours=3),
        site=Site(name="ACME Monitoring", url="https://monitoring.example.org", sender="noc@example.org"),
    )
    return dataclasses.replace(policy, **changes)


def email_deliveries() -> list[EmailDelivery]:
    db.session.expire_all()
    return db.session.scalars(db.select(EmailDelivery).order_by(EmailDelivery.created)).all()


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
