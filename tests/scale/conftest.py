"""Fixtures of the scale-out tests: a streaming replica of the throwaway test cluster, and
apps that send their heavy reads to it (docs/scale-out.md)."""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from config import TestConfig, database_url, engine_options, replica_binds
from monitoring import create_app
from tests.ops.conftest import ROOT, closing_connection, free_port


@dataclass(frozen=True)
class Replica:
    """A hot standby streaming from the test cluster, in a directory of the test run."""

    data_dir: str
    port: int
    primary_port: int
    name: str

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.name}"

    def start(self) -> None:
        subprocess.run(["bash", "scripts/db.sh", "replica", self.data_dir, str(self.port), str(self.primary_port)],
                       cwd=ROOT, check=True, timeout=120, capture_output=True)

    def stop(self) -> None:
        subprocess.run(["bash", "scripts/db.sh", "stop", self.data_dir], cwd=ROOT, check=True, timeout=120,
                       capture_output=True)

    def query(self, sql: str):
        with closing_connection(self.url) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def caught_up(self, primary_url: str, timeout: float = 10) -> None:
        """Wait until the replica has replayed everything the primary wrote so far."""
        with closing_connection(primary_url) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            target = cursor.fetchone()[0]
            # A record after the target: when the last one ended a WAL page, the insert
            # position lies past the next page's header, which the replica replays only with
            # the next record, and an idle primary may write none for many seconds.
            cursor.execute("SELECT txid_current()")
        deadline = time.monotonic() + timeout
        while not self.query(f"SELECT pg_last_wal_replay_lsn() >= '{target}'"):
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


@pytest.fixture(scope="session")
def primary_url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg2", "")


def cluster_root() -> tuple[Path, int]:
    """Where the test run keeps its clusters, and the port of the test cluster."""
    root, port = os.environ.get("TEST_DB_ROOT"), os.environ.get("TEST_DB_PORT")
    if not root or not port:
        pytest.fail("TEST_DB_ROOT and TEST_DB_PORT name the test cluster: run through 'make test' (scripts/test.sh)")
    return Path(root), int(port)


@pytest.fixture(scope="session")
def replica(app, primary_url):
    """A streaming replica of the test cluster (``scripts/db.sh replica``), made once."""
    root, port = cluster_root()
    standby = Replica(str(root / f"replica-{free_port()}"), free_port(), port,
                      primary_url.rsplit("/", 1)[1])
    standby.start()
    # The test cluster commits asynchronously (DB_FAST): its WAL goes to the replica when the
    # WAL writer flushes it, every 200 ms by default, far beyond REPLICA_WAIT_MS. Flushed
    # sooner, it reaches the replica about as soon as synchronous commits do.
    set_primary(primary_url, "wal_writer_delay", "'10ms'")
    yield standby
    set_primary(primary_url, "wal_writer_delay", "DEFAULT")
    standby.stop()


def set_primary(primary_url: str, name: str, value: str) -> None:
    with closing_connection(primary_url) as connection, connection.cursor() as cursor:
        cursor.execute(f"ALTER SYSTEM SET {name} = {value}")
        cursor.execute("SELECT pg_reload_conf()")


def replica_app(*replica_urls: str, **settings):
    """An app whose heavy reads go to these replicas."""
    urls = tuple(database_url(url) for url in replica_urls)
    config = type("ReplicaTestConfig", (TestConfig,), {
        "DATABASE_REPLICA_URLS": urls, "SQLALCHEMY_BINDS": replica_binds(urls), **settings})
    return create_app(config)


def heavy_reads(served_by: str, reason: str) -> float:
    """How many requests this process served where and why (``monitoring_heavy_reads``)."""
    return REGISTRY.get_sample_value("monitoring_heavy_reads_total", {"served_by": served_by, "reason": reason}) or 0


@dataclass(frozen=True)
class Pooler:
    """A PgBouncer's URLs: the primary, and the replica under another database name."""

    primary_url: str
    replica_url: str


@pytest.fixture(scope="session")
def pgbouncer(primary_url, replica) -> Pooler:
    """The test database and its replica through a PgBouncer in transaction pooling mode
    (``scripts/pgbouncer.sh``), whose two server connections per database every client shares."""
    root, port = cluster_root()
    directory, listen_port, name = root / f"pgbouncer-{free_port()}", free_port(), replica.name
    subprocess.run(["bash", "scripts/pgbouncer.sh", "start", str(directory), str(listen_port),
                    f"{name}=host=127.0.0.1 port={port} dbname={name}",
                    f"{name}_replica=host=127.0.0.1 port={replica.port} dbname={name}"],
                   cwd=ROOT, check=True, timeout=60, capture_output=True, env=dict(os.environ, PGBOUNCER_POOL_SIZE="2"))
    base = f"postgresql://postgres@127.0.0.1:{listen_port}/{name}"
    yield Pooler(base, f"{base}_replica")
    subprocess.run(["bash", "scripts/pgbouncer.sh", "stop", str(directory)], cwd=ROOT, check=True, timeout=60)


def pooled_app(url: str, **settings):
    """An app connected through a pooler in transaction mode (``DB_TRANSACTION_POOLING``)."""
    config = type("PooledTestConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url(url), "DB_TRANSACTION_POOLING": True,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(transaction_pooling=True), **settings})
    return create_app(config)
