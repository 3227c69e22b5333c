"""Settings scripts/db.sh gives the clusters it makes (``make run``'s, ``make test``'s, the
benchmarks')."""
from __future__ import annotations

from tests.ops.conftest import closing_connection


def test_commits_are_grouped(database_url):
    """Each device sample is a transaction of its own: a commit waits 50 µs for others to
    share its WAL flush when at least two others are open (docs/operations.md)."""
    with closing_connection(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('commit_delay'), current_setting('commit_siblings')")
        assert cursor.fetchone() == ("50", "2")
