"""Fixtures of the notification tests: a real SMTP server."""
from __future__ import annotations

import pytest

from tests.notifications.support import Mailbox


@pytest.fixture
def mailbox():
    server = Mailbox()
    yield server
    server.close()
