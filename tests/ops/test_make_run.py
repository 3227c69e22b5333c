"""What ``make run`` tells a new user: commands that work as printed, with the database
it started (not the default one when ``DB_PORT`` or ``DATABASE_URL`` says otherwise)."""
from __future__ import annotations

import os
import subprocess

from tests.ops.conftest import ROOT


def planned_commands(*variables: str) -> str:
    """The recipe of ``make run`` as make would run it, without running anything, from a
    shell without ``DATABASE_URL`` (as a new user's)."""
    environment = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    result = subprocess.run(["make", "-n", "run", *variables], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True, env=environment)
    return result.stdout


def test_the_printed_cli_commands_name_the_database_make_run_uses():
    printed = planned_commands("DB_PORT=5555", "PORT=8123")
    url = "DATABASE_URL='postgresql://postgres@127.0.0.1:5555/monitoring'"
    superuser = next(line for line in printed.splitlines() if "create-superuser" in line)
    assert f"{url} .venv/bin/flask --app wsgi create-superuser" in superuser
    seed = next(line for line in printed.splitlines() if "seed-demo" in line)
    assert f"{url} .venv/bin/flask --app wsgi seed-demo" in seed
    assert "http://127.0.0.1:8123/api/v1/monitoring/dashboard/" in printed


def test_a_database_url_given_to_make_is_the_one_printed():
    printed = planned_commands("DATABASE_URL=postgresql://u@db.internal:6543/noc")
    superuser = next(line for line in printed.splitlines() if "create-superuser" in line)
    assert "DATABASE_URL='postgresql://u@db.internal:6543/noc' .venv/bin/flask" in superuser
