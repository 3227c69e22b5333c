"""Pinging many devices with ``fping``: one process probes a whole batch of addresses, and
its per-target summary lines are parsed (docs/metrics.md §5.6, the Ping check).

``fping -q`` prints one summary per target on stderr::

    10.0.0.1 : xmt/rcv/%loss = 5/5/0%, min/avg/max = 0.04/0.08/0.15
    10.0.0.2 : xmt/rcv/%loss = 5/0/100%
"""
from __future__ import annotations

import ipaddress
import logging
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

SUMMARY = re.compile(
    r"^(?P<target>\S+)\s*:\s*xmt/rcv/%loss = (?P<sent>\d+)/(?P<received>\d+)/(?P<loss>\d+(?:\.\d+)?)%"
    r"(?:,\s*min/avg/max = (?P<min>[\d.]+)/(?P<avg>[\d.]+)/(?P<max>[\d.]+))?\s*$"
)
# 0: all reachable, 1: some unreachable, 2: some address not found. Anything else is a
# failure of fping itself (bad arguments, system call errors).
ANSWERED = (0, 1, 2)


class FpingError(RuntimeError):
    """fping failed or printed nothing we understand."""


@dataclass(frozen=True)
class PingResult:
    reachable: int  # 1 if any probe came back
    loss: float  # percent
    rtt_min: float | None = None  # milliseconds, only when reachable
    rtt_avg: float | None = None
    rtt_max: float | None = None


def normalise(address: str) -> str | None:
    """The canonical text of an IP address (fping echoes targets as given), or None."""
    try:
        return ipaddress.ip_address(address.strip()).compressed
    except ValueError:
        return None


def command(targets: Iterable[str], *, count: int, interval: int, size: int, timeout: int,
            executable: str = "fping", min_interval: int | None = None) -> list[str]:
    """The command line (the reference's options) for a batch of targets."""
    args = [executable, "-e", "-c", str(count), "-p", str(interval), "-b", str(size), "-t", str(timeout), "-q"]
    if min_interval is not None:
        args += ["-i", str(min_interval)]  # pause between any two probes: how fast a large batch goes
    return args + list(targets)


def parse(output: str) -> dict[str, PingResult]:
    """Results by target from fping's summary lines; other lines are ignored."""
    results = {}
    for line in output.splitlines():
        match = SUMMARY.match(line.strip())
        if not match:
            continue
        loss = float(match["loss"])
        reachable = int(loss < 100)
        if reachable and match["min"] is not None:
            results[match["target"]] = PingResult(1, loss, float(match["min"]), float(match["avg"]),
                                                  float(match["max"]))
        else:
            results[match["target"]] = PingResult(reachable, loss)
    return results


def ping(targets: list[str], *, count: int, interval: int, size: int, timeout: int, executable: str = "fping",
         min_interval: int | None = None, process_timeout: float = 300) -> dict[str, PingResult]:
    """Probe every target with one fping process; returns the result of each target fping
    reported on. Raises FpingError when fping fails or reports on none of them."""
    if not targets:
        return {}
    args = command(targets, count=count, interval=interval, size=size, timeout=timeout, executable=executable,
                   min_interval=min_interval)
    try:
        completed = subprocess.run(args, capture_output=True, text=True, timeout=process_timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FpingError(f"fping could not run: {exc}") from exc
    output = completed.stderr + completed.stdout
    if completed.returncode not in ANSWERED:
        raise FpingError(f"fping exited with {completed.returncode}:\n\n{output}")
    results = parse(output)
    if not results:
        raise FpingError(f"Unrecognized fping output:\n\n{output}")
    missing = [target for target in targets if target not in results]
    if missing:
        logger.error("fping reported nothing for %d of %d targets (e.g. %s):\n%s",
                     len(missing), len(targets), missing[0], output[-2000:])
    wanted = set(targets)
    return {target: result for target, result in results.items() if target in wanted}
