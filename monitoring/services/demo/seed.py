"""Demo data: an organization, a manager, a few dozen access points at a few sites, and a
week of their samples written through the real ingest path, so that charts, WiFi sessions
and health have something to show on a fresh installation.

The network itself (clients, traffic, resources) is simulated in
``monitoring/services/demo/network.py``. Samples are written access point by access point,
oldest first, at a fixed interval up to the present, then one real-time sample, which sets
its health. Last, the chart rollups are refreshed, so that every chart is complete at once.
"""
from __future__ import annotations

import random
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import (
    Device,
    DeviceLocation,
    DeviceMonitoring,
    FloorPlan,
    Location,
    Organization,
    OrganizationUser,
    User,
    utcnow,
)
from monitoring.services.accounts.users import hash_password
from monitoring.services.checks import checks
from monitoring.services.demo import network
from monitoring.services.ingest import samples as ingest
from monitoring.services.inventory.devices import generate_key
from monitoring.timeseries import sample_store
from monitoring.timeseries.rollups import refresh_rollups

DEMO_SLUG = "demo"
# Clients keep arriving a little past the moment the command started: the samples written
# since, up to each device's real-time one, still see a live network.
CATCH_UP_ROOM = timedelta(hours=1)
# Writers side by side: a sample costs about as much CPU here as in the database, so two
# keep two cores busy.
WRITERS = 2


@dataclass
class DemoResult:
    organization: Organization
    username: str
    password: str
    devices: int
    samples: int


def _create_organization() -> tuple[Organization, User, str]:
    organization = Organization(name="Demo Networks", slug=DEMO_SLUG)
    db.session.add(organization)
    db.session.flush()
    password = secrets.token_urlsafe(12)
    manager = User(username="demo-manager", email="demo-manager@example.com", password_hash=hash_password(password))
    manager.memberships.append(OrganizationUser(organization_id=organization.id, is_admin=True))
    db.session.add(manager)
    return organization, manager, password


def _create_locations(organization: Organization) -> tuple[dict[network.Site, Location], FloorPlan]:
    """A location per site; the head office is indoor, with a floorplan."""
    locations = {}
    for site in (*network.SITES, network.HEAD_OFFICE):
        indoor = site is network.HEAD_OFFICE
        location = Location(organization_id=organization.id, name=site.name, type="indoor" if indoor else "outdoor",
                            latitude=site.latitude, longitude=site.longitude, address=f"{site.name}, Rome")
        db.session.add(location)
        locations[site] = location
    db.session.flush()
    floorplan = FloorPlan(id=uuid.uuid4(), organization_id=organization.id,
                          location_id=locations[network.HEAD_OFFICE].id, floor=1)
    db.session.add(floorplan)
    return locations, floorplan


def _create_devices(organization: Organization, profiles: list[network.Profile],
                    rng: random.Random) -> list[Device]:
    """The access points, placed at their sites, with their automatic checks."""
    locations, floorplan = _create_locations(organization)
    devices = []
    for profile in profiles:
        index = profile.index
        device = Device(organization_id=organization.id, name=profile.name, model="Demo AP 1",
                        os="OpenWrt 23.05", mac_address=f"02:de:00:00:{index // 256:02x}:{index % 256:02x}",
                        key=generate_key(), management_ip=profile.management_ip)
        device.monitoring = DeviceMonitoring(status="unknown")
        db.session.add(device)
        db.session.flush()
        location = locations[profile.site]
        if profile.site is network.HEAD_OFFICE:
            placement = DeviceLocation(device_id=device.id, location_id=location.id, floorplan_id=floorplan.id,
                                       indoor=f"{rng.randint(-200, 0)},{rng.randint(0, 300)}")
        else:
            placement = DeviceLocation(device_id=device.id, location_id=location.id)
        db.session.add(placement)
        devices.append(device)
    db.session.flush()
    checks.create_automatic(db.session, device_ids=[device.id for device in devices])
    return devices


def _store(connection, device_id: uuid.UUID, access_point: network.AccessPoint, start: datetime,
           when: datetime) -> None:
    """One sample of ``when`` through the ingest path (one within the last five minutes is
    real time: it sets the device's health)."""
    at = (when - start).total_seconds()
    device, state = ingest.begin(connection, device_id)
    ingest.store_sample(connection, device=device, state=state, document=access_point.sample(at), time=when,
                        current=False)


def _store_device(connection, device_id: uuid.UUID, access_point: network.AccessPoint, *, start: datetime,
                  first: datetime, interval: timedelta) -> int:
    """A device's samples from ``first`` on, every ``interval`` up to the present, then one
    real-time sample; returns how many."""
    count, when, now = 0, first, utcnow()
    while when < now:
        _store(connection, device_id, access_point, start, when)
        count, when = count + 1, when + interval
        if when >= now:
            now = utcnow()  # the bulk took a while: catch up with the present
    _store(connection, device_id, access_point, start, now)
    return count + 1


@contextmanager
def _bulk_connection() -> Iterator:
    """A connection of its own for writing samples in bulk, closed for good afterwards (its
    setting never reaches the pool)."""
    connection = db.engine.raw_connection()
    connection.detach()
    try:
        # Through a pooler in transaction mode the setting would stay on a server connection
        # that other clients get next: the samples are then committed as usual.
        if not current_app.config["DB_TRANSACTION_POOLING"]:
            with connection.cursor() as cursor:
                # Each sample commits on its own, as a device POST does; waiting for every
                # commit to reach the disk would take most of the time. A crash can lose the
                # latest few samples, never leave half of one.
                cursor.execute("SET synchronous_commit TO off")
            connection.commit()
        with sample_store.sample_transaction(connection):  # as ingest.begin needs it
            yield connection
    finally:
        connection.close()


def _writer_groups(access_points: list[network.AccessPoint]) -> list[list[int]]:
    """Positions of the access points each writer takes, whole sites together: sites share
    no clients, so two writers never wait on the same WiFi client rows."""
    by_site: dict[network.Site, list[int]] = defaultdict(list)
    for position, access_point in enumerate(access_points):
        by_site[access_point.profile.site].append(position)
    groups: list[list[int]] = [[] for _ in range(WRITERS)]
    for positions in sorted(by_site.values(), key=len, reverse=True):
        min(groups, key=len).extend(positions)
    return [group for group in groups if group]


def _store_samples(device_ids: list[uuid.UUID], access_points: list[network.AccessPoint], *,
                   start: datetime, interval: timedelta, rng: random.Random, log: Callable[[str], None]) -> int:
    """Every sample of every device, by ``WRITERS`` writers side by side. Returns the
    number written.

    Each device has its own phase within the interval, as real devices do: a chart bucket
    cut short by the edge of its range still gets the samples of some of them."""
    firsts = [start + interval * rng.random() for _ in device_ids]
    app = current_app._get_current_object()

    def write(positions: list[int]) -> int:
        written = 0
        with app.app_context(), _bulk_connection() as connection:
            for position in positions:
                access_point = access_points[position]
                count = _store_device(connection, device_ids[position], access_point, start=start,
                                      first=firsts[position], interval=interval)
                log(f"  {access_point.profile.name}: {count} samples")
                written += count
        return written

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        return sum(pool.map(write, _writer_groups(access_points)))


def seed_demo(*, devices: int = 30, days: int = 7, interval_minutes: int = 5,
              log: Callable[[str], None] = print) -> DemoResult | None:
    """Create the demo data; None if it exists already (it is never duplicated)."""
    if db.session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG)) is not None:
        return None
    rng = random.Random(42)
    organization, manager, password = _create_organization()
    profiles = [network.profile(index) for index in range(devices)]
    device_ids = [device.id for device in _create_devices(organization, profiles, rng)]
    db.session.commit()

    interval = timedelta(minutes=interval_minutes)
    began = utcnow()
    start = began - days * timedelta(days=1)
    access_points = network.build(
        profiles, start=start, period=(began - start).total_seconds(),
        horizon=(began + CATCH_UP_ROOM - start).total_seconds(), shortest=interval.total_seconds(), rng=rng)
    samples = _store_samples(device_ids, access_points, start=start, interval=interval, rng=rng, log=log)

    log("refreshing the chart rollups")
    refresh_rollups(db.session, since=start)  # the whole period at once, not hour by hour later
    return DemoResult(organization, manager.username, password, len(device_ids), samples)

