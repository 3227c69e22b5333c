"""W1 with 50 live event streams open (docs/events.md): do the streams take anything from the
API's workers?

Two gunicorns as ``make run`` starts them: the API (sync workers, 2 per CPU) and the events
server (one process, 100 threads, ``EVENTS_STREAM=true``). Devices of two organizations post
W1's load (wrk, the standard sample, bench/workload/README.md) to the API, first with no
stream open, then with 50 streams open on the events server (token users of both
organizations, half each, all from the same ``Last-Event-ID``). In both runs a marker device
of each organization is deactivated and activated through the API (one call every 1.5 s), so
that events flow. Prints the POSTs' p50/p99 of both runs, and checks that every POST was
acknowledged, that every stream received exactly its organization's events (those stored in
``events``) and kept getting heartbeats, and that the p99 with streams is within noise of the
one without (``within_noise``).

    make bench-events                     # or: .venv/bin/python bench/streams.py --duration 30
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import MAKE_RUN_WORKERS, database, gunicorn, prime_devices, wrk_errors, wrk_posts  # noqa: E402

EVENTS_PATH = "/api/v1/monitoring/events/"
# The p99 with streams may be this many times the p99 without, plus NOISE_MS: two runs of
# the same load on this 2-core machine, shared by server, database, wrk and other work,
# differ by up to about 1.5x at p99. Streams served by the API's sync workers would take
# every worker: the POSTs would wait for seconds or time out, far past this bound.
NOISE_FACTOR = 2.0
NOISE_MS = 20.0


@dataclass(frozen=True)
class Tenant:
    """An organization of the run: its manager's token, a marker device whose deactivation
    and activation make events, and the devices that post W1's samples."""

    organization: str
    token: str
    marker: str
    devices: list[dict]  # [{"id", "key"}]


def create_tenants(*, devices: int, organizations: int = 2) -> list[Tenant]:
    """In an app context: ``organizations`` organizations sharing ``devices`` devices, each
    with a manager holding a token, and a marker device."""
    from monitoring.extensions import db
    from monitoring.models import Device, DeviceMonitoring, Organization, OrganizationUser, User
    from monitoring.services.accounts import tokens
    from monitoring.services.accounts.users import hash_password
    from monitoring.services.inventory.devices import generate_key

    def add_device(org: Organization, name: str, number: int) -> Device:
        device = Device(organization_id=org.id, name=name, key=generate_key(),
                        mac_address=f"02:00:00:{org.slug[-2:]}:{number // 256:02x}:{number % 256:02x}")
        device.monitoring = DeviceMonitoring(status="unknown")
        db.session.add(device)
        return device

    tenants = []
    for n in range(organizations):
        org = Organization(name=f"streams {n}", slug=f"streams-{n:02d}")
        db.session.add(org)
        db.session.flush()
        manager = User(username=f"streams-manager-{n}", email=f"streams-{n}@example.com",
                       password_hash=hash_password(os.urandom(12).hex()))
        manager.memberships.append(OrganizationUser(organization_id=org.id, is_admin=True))
        db.session.add(manager)
        posting = [add_device(org, f"streams-{n}-dev-{i:03d}", i) for i in range(n, devices, organizations)]
        marker = add_device(org, f"streams-{n}-marker", 0xFFFF)
        db.session.commit()
        tenants.append(Tenant(organization=str(org.id), token=tokens.issue_token(user=manager), marker=str(marker.id),
                              devices=[{"id": str(d.id), "key": d.key} for d in posting]))
    return tenants


class StreamReader:
    """An open event stream, read by a thread of its own: the events it received, its
    heartbeats, and the longest time it went without receiving anything."""

    def __init__(self, url: str, tenant: Tenant, *, last_event_id: int):
        self.organization = tenant.organization
        self.events: list[dict] = []
        self.heartbeats = 0
        self.longest_silence = 0.0
        self.error: str | None = None
        self._last_line = time.monotonic()
        self._closed = threading.Event()
        # From the same event on, however long the others took to open (the server replays
        # what was stored after it).
        headers = {"Authorization": f"Bearer {tenant.token}", "Last-Event-ID": str(last_event_id)}
        self._response = requests.get(url, headers=headers, stream=True, timeout=(10, 60))
        if self._response.status_code != 200:
            raise RuntimeError(f"stream: {self._response.status_code} {self._response.text[:200]}")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._response.iter_lines(decode_unicode=True):
                now = time.monotonic()
                if line:
                    self.longest_silence = max(self.longest_silence, now - self._last_line)
                    self._last_line = now
                if line.startswith(": heartbeat"):
                    self.heartbeats += 1
                elif line.startswith("data: "):
                    self.events.append(json.loads(line[6:]))
        except Exception as error:  # noqa: BLE001 - closing the stream ends the read with some error
            if not self._closed.is_set():
                self.error = repr(error)
        if not self._closed.is_set() and self.error is None:
            self.error = "the server ended the stream"

    def close(self) -> None:
        """Stop reading; the silence up to now counts."""
        self.longest_silence = max(self.longest_silence, time.monotonic() - self._last_line)
        self._closed.set()
        self._response.close()

    def received_ids(self) -> set[int]:
        return {event["id"] for event in self.events}


class MarkerToggler:
    """Deactivates and activates each tenant's marker device through the API, in turn, one
    call every ``seconds``: a few events per second, and the same light management load on
    the API whether streams are open or not."""

    def __init__(self, api_base: str, tenants: list[Tenant], seconds: float):
        self.calls = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(api_base, tenants, seconds), daemon=True)

    def _run(self, api_base: str, tenants: list[Tenant], seconds: float) -> None:
        http = requests.Session()
        deactivated = dict.fromkeys((tenant.marker for tenant in tenants), False)
        while not self._stop.wait(seconds):
            tenant = tenants[self.calls % len(tenants)]
            action = "activate" if deactivated[tenant.marker] else "deactivate"
            response = http.post(f"{api_base}/api/v1/controller/device/{tenant.marker}/{action}/", timeout=30,
                                 headers={"Authorization": f"Bearer {tenant.token}"})
            self.calls += 1
            if response.status_code == 200:
                deactivated[tenant.marker] = not deactivated[tenant.marker]
            else:
                self.failures.append(f"{action}: {response.status_code} {response.text[:200]}")

    def __enter__(self) -> MarkerToggler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Comparison:
    """The figures of the two runs and what the streams received."""

    without_streams: dict  # wrk's figures (bench/workload/ingest.lua)
    with_streams: dict
    streams: list[StreamReader]
    # Per organization: the ids of its events stored after the streams' Last-Event-ID.
    expected_events: dict[str, set[int]]
    toggle_failures: list[str] = field(default_factory=list)
    heartbeat_seconds: int = 15

    @property
    def p99_without_ms(self) -> float:
        return self.without_streams["lat_p99_us"] / 1000

    @property
    def p99_with_ms(self) -> float:
        return self.with_streams["lat_p99_us"] / 1000

    @property
    def p99_bound_ms(self) -> float:
        return NOISE_FACTOR * self.p99_without_ms + NOISE_MS

    def within_noise(self) -> bool:
        return self.p99_with_ms <= self.p99_bound_ms

    def unacknowledged(self) -> int:
        """POSTs of both runs not answered 2xx, and failed marker calls."""
        return wrk_errors(self.without_streams) + wrk_errors(self.with_streams) + len(self.toggle_failures)

    def stream_problems(self) -> list[str]:
        """Each stream that missed an event of its organization, got one of another, ended,
        or went silent for more than three heartbeat intervals."""
        problems = []
        for number, reader in enumerate(self.streams):
            expected = self.expected_events[reader.organization]
            received = reader.received_ids()
            foreign = [event["id"] for event in reader.events if event["organization"] != reader.organization]
            if received != expected or foreign:
                problems.append(f"stream {number}: {len(expected - received)} events of its organization missing, "
                                f"{len(received - expected)} unexpected, {len(foreign)} of another organization")
            if reader.error:
                problems.append(f"stream {number}: {reader.error}")
            if reader.longest_silence > 3 * self.heartbeat_seconds:
                problems.append(f"stream {number}: silent for {reader.longest_silence:.1f} s")
        return problems

    def lines(self) -> list[str]:
        def latency(figures: dict) -> str:
            return (f"p50 {figures['lat_p50_us'] / 1000:.1f} ms, p99 {figures['lat_p99_us'] / 1000:.1f} ms, "
                    f"{figures['requests'] / (figures['duration_us'] / 1e6):.1f} samples/s, "
                    f"{figures['requests']} POSTs, non-2xx/errors {wrk_errors(figures)}")

        events = [len(reader.events) for reader in self.streams]
        heartbeats = [reader.heartbeats for reader in self.streams]
        silence = max((reader.longest_silence for reader in self.streams), default=0.0)
        problems = self.stream_problems()
        return [
            f"  without streams        {latency(self.without_streams)}",
            f"  with {len(self.streams)} streams        {latency(self.with_streams)}",
            f"  p99 within noise       {'yes' if self.within_noise() else 'NO'} ({self.p99_with_ms:.1f} ms <= "
            f"{NOISE_FACTOR:g} x {self.p99_without_ms:.1f} + {NOISE_MS:g} = {self.p99_bound_ms:.1f} ms)",
            f"  streams received       {min(events, default=0)}-{max(events, default=0)} events each, "
            f"{min(heartbeats, default=0)}-{max(heartbeats, default=0)} heartbeats each, longest silence "
            f"{silence:.1f} s (heartbeat every {self.heartbeat_seconds:g} s)",
            f"  every stream: its organization's events only, all of them: "
            f"{'yes' if not problems else 'NO: ' + '; '.join(problems[:5])}",
        ]


def events_after(database_url: str, event_id: int) -> dict[str, set[int]]:
    """The ids of the events stored after ``event_id``, per organization."""
    stored: dict[str, set[int]] = {}
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id, organization_id FROM events WHERE id > %s", (event_id,))
        for id_, organization in cursor.fetchall():
            stored.setdefault(str(organization), set()).add(id_)
    connection.close()
    return stored


def last_event_id(database_url: str) -> int:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM events")
        (last,) = cursor.fetchone()
    connection.close()
    return last


def compare(*, database_url: str, api_base: str, events_base: str, tenants: list[Tenant], seconds: int,
            streams: int = 50, warmup_seconds: int = 3, toggle_seconds: float = 1.5,
            heartbeat_seconds: int = 1) -> Comparison:
    """W1 for ``seconds`` without streams, then for ``seconds`` with ``streams`` streams
    open (the tenants' users in turn), the markers toggled all along."""
    devices = [device for tenant in tenants for device in tenant.devices]
    prime_devices(api_base, devices)
    with MarkerToggler(api_base, tenants, toggle_seconds) as toggler:
        wrk_posts(api_base, devices, seconds=warmup_seconds, first_seq=1)
        without_streams = wrk_posts(api_base, devices, seconds=seconds, first_seq=1000)
        before = last_event_id(database_url)
        readers = [StreamReader(events_base + EVENTS_PATH, tenants[n % len(tenants)], last_event_id=before)
                   for n in range(streams)]
        try:
            with_streams = wrk_posts(api_base, devices, seconds=seconds, first_seq=2000)
        except BaseException:
            for reader in readers:
                reader.close()
            raise
    expected = events_after(database_url, before)
    expected = {tenant.organization: expected.get(tenant.organization, set()) for tenant in tenants}
    deadline = time.monotonic() + 10  # the last events on their way
    while time.monotonic() < deadline and any(
            not expected[reader.organization] <= reader.received_ids() for reader in readers):
        time.sleep(0.1)
    for reader in readers:
        reader.close()
    return Comparison(without_streams, with_streams, readers, expected, toggler.failures, heartbeat_seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=30, help="seconds of load without, then with streams")
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--workers", type=int, default=MAKE_RUN_WORKERS,
                        help="API gunicorn workers (default: 2 per CPU, as make run starts it)")
    parser.add_argument("--heartbeat", type=int, default=1, help="EVENTS_HEARTBEAT_SECONDS of the events server")
    args = parser.parse_args()

    with database() as database_url, ExitStack() as stack:
        os.environ["DATABASE_URL"] = database_url
        from monitoring import create_app

        with create_app().app_context():
            tenants = create_tenants(devices=args.devices)
        api_base, _ = stack.enter_context(gunicorn(database_url, WEB_CONCURRENCY=str(args.workers)))
        events_base, _ = stack.enter_context(gunicorn(
            database_url, EVENTS_STREAM="true", WEB_CONCURRENCY="1", GUNICORN_THREADS="100",
            EVENTS_HEARTBEAT_SECONDS=str(args.heartbeat), GUNICORN_GRACEFUL_TIMEOUT="1"))
        result = compare(database_url=database_url, api_base=api_base, events_base=events_base, tenants=tenants,
                         seconds=args.duration, streams=args.streams, heartbeat_seconds=args.heartbeat)
    print(f"W1 with live event streams: {args.devices} devices in 2 organizations, wrk -t2 -c8 -d{args.duration}s "
          f"twice, API gunicorn workers: {args.workers}, events server: 1 process x 100 threads")
    for line in result.lines():
        print(line)
    good = result.within_noise() and not result.unacknowledged() and not result.stream_problems()
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
