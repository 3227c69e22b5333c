"""docker-compose.yml cannot run where the tests run (no Docker): what can be checked
without it is that it is valid YAML whose references all resolve, and that its "replica"
profile wires the pieces as docs/scale-out.md describes."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import yaml

from tests.ops.conftest import ROOT


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def url(value: str):
    """A URL of the file, its ``${VARIABLE:?message}`` substitutions as compose makes them."""
    return urlsplit(re.sub(r"\$\{[^}]*\}", "substituted", value))


def test_every_reference_resolves():
    document = compose()
    services = document["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), f"{name}: {source}"
            else:
                assert source in document["volumes"], f"{name}: {source}"
        if isinstance(service.get("build"), str):
            assert (ROOT / service["build"] / "Dockerfile").is_file(), name


def test_the_replica_profile_routes_an_app_through_pgbouncer_to_the_primary_and_the_replica():
    services = compose()["services"]
    in_profile = {name for name, service in services.items() if "replica" in service.get("profiles", [])}
    assert in_profile == {"db-replica", "pgbouncer", "app-pooled"}
    pooled = services["app-pooled"]["environment"]
    assert pooled["DB_TRANSACTION_POOLING"] == "1"
    primary, replica = url(pooled["DATABASE_URL"]), url(pooled["DATABASE_REPLICA_URLS"])
    assert (primary.hostname, primary.port, primary.path) == ("pgbouncer", 6432, "/monitoring")
    assert (replica.hostname, replica.port, replica.path) == ("pgbouncer", 6432, "/monitoring_replica")
    # Everything else as the first app host has it: the same SECRET_KEY above all.
    assert pooled["SECRET_KEY"] == services["app"]["environment"]["SECRET_KEY"]
    # PgBouncer's two databases are those two servers; the worker stays on the primary.
    entrypoint = (ROOT / "deploy/pgbouncer/entrypoint.sh").read_text()
    assert "monitoring = host=${PRIMARY_HOST:-db} " in entrypoint
    assert "monitoring_replica = host=${REPLICA_HOST:-db-replica} " in entrypoint
    assert "pool_mode = transaction" in entrypoint
    assert url(services["worker"]["environment"]["DATABASE_URL"]).hostname == "db"
