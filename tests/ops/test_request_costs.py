"""What every request pays before and after its view, kept to what it needs: requests without
a session cookie (token clients, devices reading with their key) get an empty session
without a signing serializer being built, and gunicorn builds no access line unless an
access log is asked for."""
from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.ingest.test_device_samples import url

ROOT = Path(__file__).resolve().parents[2]


class Untouchable:
    def __getattr__(self, name):
        raise AssertionError(f"an access line was built ({name!r} read)")


def test_a_request_without_a_session_cookie_builds_no_signing_serializer(app, client, device, monkeypatch):
    def refuse(self, app):
        raise AssertionError("a signing serializer was built")

    monkeypatch.setattr(type(app.session_interface), "get_signing_serializer", refuse)
    # Through Flask: a device's own read with its key (the device POST the layer in front of
    # Flask stores never reaches the session interface).
    assert client.get(url(device)).status_code == 200
    with pytest.raises(AssertionError, match="signing serializer"):
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], "anything")
        client.get(url(device))


def test_gunicorn_builds_no_access_line_without_an_access_log():
    logger_class = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["logger_class"]
    without = SimpleNamespace(cfg=SimpleNamespace(accesslog=None))
    logger_class.access(without, Untouchable(), Untouchable(), {}, 0.001)
    # With GUNICORN_ACCESSLOG the lines are written: tests/ops/test_gunicorn.py.
