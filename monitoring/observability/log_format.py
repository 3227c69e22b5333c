"""Log line formats: one JSON object per line for machines, a short text line for people.

``json_line`` and ``text_line`` build a line from its parts; the logging formatters below
use them for records (with the structured fields a caller attaches with
``extra={"fields": {...}}`` and the request id that ``logs.RequestIdFilter`` adds), and the
request log uses them directly. Standard library only: gunicorn's master process imports
this module to format its own lines (see ``gunicorn.conf.py``).
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time

FORMATS = ("json", "text", "auto")
# default=str: a stray non-JSON value must never cost the log line. Built once: a line is
# written for every request.
_encoder = json.JSONEncoder(ensure_ascii=False, default=str)
# Said by the text line's message already (``GET /path 200 3.1 ms``).
_IN_TEXT_MESSAGE = frozenset({"method", "path", "status", "duration_ms"})


# (second, its formatted date and time): lines come many per second, strftime is not free.
_second_text: tuple[int, str] = (0, "")


def iso_time(created: float) -> str:
    """ISO 8601 in UTC with milliseconds: 2024-05-02T10:15:31.123Z."""
    global _second_text
    second = int(created)
    cached = _second_text  # one read: another thread may replace it meanwhile
    if cached[0] != second:
        cached = _second_text = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{int((created - second) * 1000):03d}Z"


def json_line(*, created: float, level: str, logger: str, message: str, pid: int,
              request_id: str | None = None, fields: dict | None = None, exception: str | None = None) -> str:
    """``{"time", "level", "logger", "message", "pid", "request_id", ...fields, "exception"}``."""
    entry = {"time": iso_time(created), "level": level, "logger": logger, "message": message, "pid": pid}
    if request_id:
        entry["request_id"] = request_id
    if fields:
        entry.update(fields)
    if exception:
        entry["exception"] = exception
    return _encoder.encode(entry)


def text_line(*, created: float, level: str, logger: str, message: str,
              request_id: str | None = None, fields: dict | None = None, exception: str | None = None) -> str:
    """``10:15:31 INFO  monitoring.requests GET /path 200 3.1 ms  request_id=… device_id=…``."""
    line = f"{time.strftime('%H:%M:%S', time.localtime(created))} {level.upper():<5} {logger} {message}"
    extras = [f"request_id={request_id}"] if request_id else []
    if fields:
        extras.extend(f"{k}={v}" for k, v in fields.items() if k not in _IN_TEXT_MESSAGE and v not in (None, ""))
    if extras:
        line += "  " + " ".join(extras)
    if exception:
        line += "\n" + exception
    return line


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    if record.exc_info:
        return formatter.formatException(record.exc_info)
    return record.exc_text or None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json_line(
            created=record.created, level=record.levelname.lower(), logger=record.name,
            message=record.getMessage(), pid=record.process, request_id=getattr(record, "request_id", None),
            fields=getattr(record, "fields", None), exception=_exception_text(self, record),
        )


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return text_line(
            created=record.created, level=record.levelname, logger=record.name, message=record.getMessage(),
            request_id=getattr(record, "request_id", None), fields=getattr(record, "fields", None),
            exception=_exception_text(self, record),
        )


def resolve_format(log_format: str, stream=None) -> str:
    """``json`` or ``text`` for a LOG_FORMAT value; ``auto`` is text when the stream
    (stdout) is a terminal, JSON otherwise."""
    log_format = (log_format or "auto").strip().lower()
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, got {log_format!r}")
    if log_format == "auto":
        stream = stream or sys.stdout
        return "text" if hasattr(stream, "isatty") and stream.isatty() else "json"
    return log_format


def formatter_for(log_format: str, stream=None) -> logging.Formatter:
    return TextFormatter() if resolve_format(log_format, stream) == "text" else JsonFormatter()


def service_formatter() -> logging.Formatter:
    """Factory for ``logging.config.dictConfig`` (gunicorn's ``logconfig_dict``)."""
    return formatter_for(os.environ.get("LOG_FORMAT", "auto"))


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time of the record, not at set-up: test
    runners and process managers may swap it after the handler is created."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass  # always sys.stdout
