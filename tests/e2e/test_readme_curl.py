"""The README's curl walkthrough, run as written (bash, curl and python3) against a real
gunicorn: every id and key it needs later is kept in a variable, nothing is copied by hand."""
import re
import subprocess

import pytest
import requests

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def walkthrough() -> str:
    """The shell blocks of the README's curl section, in order."""
    section = (ROOT / "README.md").read_text().split("## Using the API with curl\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```sh\n(.*?)```", section, flags=re.S))


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"the README's walkthrough no longer has {old!r}"
    return text.replace(old, new)


def test_the_readme_curl_walkthrough_runs_as_written(server, flask_cli):
    # Only the address, the first administrator and the organization's name differ from the
    # README's: the other end-to-end tests of this database use the README's.
    user, password = "readme-admin", "readme-password-1"
    created = flask_cli("create-superuser", "--username", user, "--password", password)
    assert created.returncode == 0, created.stderr
    script = replaced(walkthrough(), "http://127.0.0.1:8000", server)
    script = replaced(script, '"username": "admin", "password": "choose-a-password"',
                      f'"username": "{user}", "password": "{password}"')
    script = replaced(script, '"ACME Networks"', '"ACME Networks (README)"')
    script += '\necho "walkthrough: $DEVICE $KEY $LOC"\n'

    ran = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    device, key, location = re.search(r"^walkthrough: (\S+) (\S+) (\S+)$", ran.stdout, flags=re.M).groups()

    # The device is placed, and its sample was stored: the device's own key reads its charts.
    token = requests.post(f"{server}/api/v1/users/token/", json={"username": user, "password": password},
                          timeout=5).json()["token"]
    placed = requests.get(f"{server}/api/v1/controller/device/{device}/location/",
                          headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    assert placed["location"] == location
    detail = requests.get(f"{server}/api/v1/monitoring/device/{device}/", params={"key": key, "time": "1d"},
                          timeout=10)
    assert detail.status_code == 200, detail.text
    assert detail.json()["monitoring"]["status"] == "ok"
    assert any(value is not None for chart in detail.json()["charts"] if chart["title"] == "CPU Load"
               for _, values in chart["traces"] for value in values)
    # The manager the walkthrough created can log in.
    manager = requests.post(f"{server}/api/v1/users/token/",
                            json={"username": "noc", "password": "a-long-password"}, timeout=5)
    assert manager.status_code == 200, manager.text
