"""The scale-out tests wait for the replica to replay what the primary wrote
(``Replica.caught_up``): that wait must end even when the primary's last record ended a WAL
page, after which its insert position lies past the next page's header, a position the
replica reaches only with the next record, which an idle primary may not write for seconds."""
from __future__ import annotations

import time

from tests.ops.conftest import closing_connection


def test_the_replica_is_caught_up_after_a_wal_switch(replica, primary_url):
    with closing_connection(primary_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")  # a record to switch away from
        cursor.execute("SELECT pg_switch_wal()")  # the insert position: a new segment, past its header
    started = time.monotonic()
    replica.caught_up(primary_url, timeout=3)
    assert time.monotonic() - started < 3
