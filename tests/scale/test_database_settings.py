"""Settings of a service past one host: a DATABASE_URL that lists several servers finds the
one that takes writes, and a database on another machine requires a shared SECRET_KEY."""
from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, text

from config import database_url, engine_options
from tests.ops.conftest import ROOT, free_port


def server_port(url: str) -> int:
    engine = create_engine(database_url(url), **engine_options(transaction_pooling=False))
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT current_setting('port')::int")).scalar()
    finally:
        engine.dispose()


def test_a_multi_host_url_connects_to_the_server_that_takes_writes(replica, primary_url):
    """libpq tries the hosts in turn: a stopped server and a standby are passed over, as
    after a failover, when the promoted standby is the one that takes writes."""
    primary_port = int(primary_url.rsplit(":", 1)[1].split("/")[0])
    hosts = f"127.0.0.1:{free_port()},127.0.0.1:{replica.port},127.0.0.1:{primary_port}"
    url = f"postgresql://postgres@{hosts}/{replica.name}?target_session_attrs=read-write"
    assert server_port(url) == primary_port


def start_config(**env: str) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if name != "SECRET_KEY"}
    return subprocess.run([sys.executable, "-c", "import config"], cwd=ROOT, env=dict(environment, **env),
                          capture_output=True, text=True, timeout=60)


def test_a_database_on_another_machine_requires_the_secret_key():
    refused = start_config(DATABASE_URL="postgresql://monitoring@db.example.org:5432/monitoring")
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr
    several = start_config(DATABASE_URL="postgresql://monitoring@127.0.0.1:5432,db2.example.org:5432/monitoring")
    assert several.returncode != 0 and "SECRET_KEY must be set" in several.stderr
    given = start_config(DATABASE_URL="postgresql://monitoring@db.example.org:5432/monitoring", SECRET_KEY="shared")
    assert given.returncode == 0, given.stderr
