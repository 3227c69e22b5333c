"""The request log: one line per request on stdout, in the format of every other line.

Written straight to stdout rather than through ``logging``: this runs for every request
(every device POST), and the logging machinery (record creation, handler chain, lock,
formatter) cost more than the rest of the request bookkeeping together. The line is the
same as a ``logging`` record of the ``monitoring.requests`` logger would give.
"""
from __future__ import annotations

import os
import sys
import threading
import time

from monitoring.observability.log_format import json_line, text_line

REQUEST_LOGGER = "monitoring.requests"


class RequestLog:
    def __init__(self, log_format: str) -> None:
        self._text = log_format == "text"
        self._lock = threading.Lock()  # whole lines, with threaded workers too

    def write(self, *, message: str, request_id: str, fields: dict) -> None:
        created = time.time()
        if self._text:
            line = text_line(created=created, level="info", logger=REQUEST_LOGGER, message=message,
                             request_id=request_id, fields=fields)
        else:
            line = json_line(created=created, level="info", logger=REQUEST_LOGGER, message=message,
                             pid=os.getpid(), request_id=request_id, fields=fields)
        with self._lock:
            stream = sys.stdout  # looked up each time: test runners swap it
            stream.write(line + "\n")
            stream.flush()
