"""One webhook POST over HTTP/1.1, with one deadline for all of it and a small cap on what
is read back.

Written on plain sockets because the standard library's clients cannot keep these promises:
their timeout applies to each socket operation (a receiver sending a byte every few seconds
holds them indefinitely), they read an answer's headers up to megabytes, and they connect to
a host name, resolving it again after it was checked. Here every step (connect, TLS
handshake, send, each read) gets what is left of the deadline, the connection goes to an
address ``webhook_targets`` checked, and only the status line and headers are read, up to
``max_answer_bytes``: the body of the answer is never needed.
"""
from __future__ import annotations

import re
import socket
import ssl
import time
from dataclasses import dataclass

from monitoring.services.notifications.webhook_targets import Target

STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?\r\n")
LOCATION_LINE = re.compile(rb"\r\nlocation:[ \t]*([^\r\n]*)", re.IGNORECASE)


class IncompleteAnswer(TimeoutError):
    """The deadline passed before the receiver's answer was complete."""


class BadAnswer(ValueError):
    """What came back is not an HTTP answer."""


@dataclass(frozen=True)
class Answer:
    status: int
    location: str | None  # the Location header, as far as it was read


def _left(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise IncompleteAnswer
    return remaining


def _connect(target: Target, deadline: float, tls: ssl.SSLContext) -> socket.socket:
    """A connection to the first of the checked addresses that accepts one."""
    error: OSError | None = None
    for address in target.addresses:
        try:
            sock = socket.create_connection((str(address), target.port), timeout=_left(deadline))
        except OSError as exc:
            error = exc
            continue
        if target.scheme == "http":
            return sock
        try:
            sock.settimeout(_left(deadline))  # the handshake as a whole, not per read
            return tls.wrap_socket(sock, server_hostname=target.host)
        except BaseException:
            sock.close()
            raise
    raise error or OSError("no address to connect to")


def _request(target: Target, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {target.request_target} HTTP/1.1", f"Host: {target.host_header}",
             *(f"{name}: {value}" for name, value in headers.items()),
             f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def _send(sock: socket.socket, data: bytes, deadline: float) -> None:
    while data:
        sock.settimeout(_left(deadline))
        data = data[sock.send(data):]


def _read_head(sock: socket.socket, deadline: float, max_bytes: int) -> bytes:
    """The answer up to the end of its headers, or its first ``max_bytes``."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) < max_bytes:
        sock.settimeout(_left(deadline))
        chunk = sock.recv(max_bytes - len(head))
        if not chunk:
            break
        head += chunk
    return head


def post(target: Target, body: bytes, headers: dict[str, str], *, deadline: float, max_answer_bytes: int,
         tls: ssl.SSLContext) -> Answer:
    """POST ``body`` to ``target`` and return the answer's status, all before ``deadline``
    (a ``time.monotonic()`` value). Raises ``IncompleteAnswer`` when time runs out,
    ``BadAnswer`` when the first bytes are not an HTTP status line, ``OSError`` (``ssl.SSLError``
    included) when the connection fails."""
    with _connect(target, deadline, tls) as sock:
        _send(sock, _request(target, body, headers), deadline)
        head = _read_head(sock, deadline, max_answer_bytes)
    if not head:
        raise BadAnswer("the connection was closed without an answer")
    status = STATUS_LINE.match(head)
    if status is None:
        raise BadAnswer(f"no HTTP status line in the first {max_answer_bytes} bytes of the answer")
    location = LOCATION_LINE.search(head)
    return Answer(int(status.group(1)), location and _printable(location.group(1))[:500])


def _printable(raw: bytes) -> str:
    """A header value fit for a log line and a text column (no NUL or control characters)."""
    return "".join(char if char.isprintable() else "?" for char in raw.decode("latin-1").strip())
