"""The secret key a first boot creates: one key for every process starting at once, and a
file only its owner can ever read."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from ipaddress import ip_network
from pathlib import Path

import pytest

from config import env_networks, env_port

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 8

# Each process announces itself, waits for the go, then imports the configuration as a
# gunicorn worker does, and prints the key it got.
WORKER = """
import os, sys, time
open(f"ready-{os.getpid()}", "w").close()
while not os.path.exists("go"):
    time.sleep(0.0005)
import config
sys.stdout.write(config.Config.SECRET_KEY)
"""


def start_together(directory: Path) -> list[str]:
    """The SECRET_KEY each of WORKERS processes importing ``config.py`` from ``directory``
    got, released at the same moment, with no SECRET_KEY in the environment."""
    env = {name: value for name, value in os.environ.items() if name != "SECRET_KEY"}
    processes = [subprocess.Popen([sys.executable, "-c", WORKER], cwd=directory, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(WORKERS)]
    deadline = time.monotonic() + 30
    while len(list(directory.glob("ready-*"))) < WORKERS:
        assert time.monotonic() < deadline, "the processes did not start"
        time.sleep(0.01)
    (directory / "go").touch()
    keys = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
        keys.append(out.decode())
    for signal_file in [*directory.glob("ready-*"), directory / "go"]:
        signal_file.unlink()
    return keys


def test_processes_starting_together_share_one_key_only_the_owner_can_read(tmp_path):
    for attempt in range(5):  # the race is won or lost in microseconds: run it a few times
        directory = tmp_path / f"attempt-{attempt}"
        directory.mkdir()
        shutil.copy(ROOT / "config.py", directory)
        keys = start_together(directory)

        key_file = directory / "var" / "secret_key"
        assert len(set(keys)) == 1, f"attempt {attempt}: {len(set(keys))} different keys"
        assert len(keys[0]) >= 32 and keys[0] == key_file.read_text()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert [path.name for path in key_file.parent.iterdir()] == ["secret_key"]  # nothing left behind

        # A later start reads the same key.
        assert start_together(directory)[0] == keys[0]


def test_ping_allowed_networks_are_comma_separated_networks(monkeypatch):
    monkeypatch.setenv("PING_ALLOWED_NETWORKS", " 10.0.0.0/8, 192.168.1.7/24 ,fd00::/8,,")
    assert env_networks("PING_ALLOWED_NETWORKS") == (
        ip_network("10.0.0.0/8"), ip_network("192.168.1.0/24"), ip_network("fd00::/8"))
    monkeypatch.setenv("PING_ALLOWED_NETWORKS", "")
    assert env_networks("PING_ALLOWED_NETWORKS") == ()  # any address
    monkeypatch.setenv("PING_ALLOWED_NETWORKS", "10.0.0.0/8,intranet")
    with pytest.raises(ValueError, match="PING_ALLOWED_NETWORKS.*'intranet'"):
        env_networks("PING_ALLOWED_NETWORKS")


def test_the_smtp_port_must_be_a_port_number(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "587")
    assert env_port("EMAIL_PORT", 25) == 587
    monkeypatch.delenv("EMAIL_PORT")
    assert env_port("EMAIL_PORT", 25) == 25
    for bad in ("0", "65536", "-25"):
        monkeypatch.setenv("EMAIL_PORT", bad)
        with pytest.raises(ValueError, match=f"EMAIL_PORT must be a port number from 1 to 65535, got {bad}"):
            env_port("EMAIL_PORT", 25)
    monkeypatch.setenv("EMAIL_PORT", "smtp")
    with pytest.raises(ValueError, match="EMAIL_PORT must be an integer, got 'smtp'"):
        env_port("EMAIL_PORT", 25)
