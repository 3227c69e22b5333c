"""Demo data: an organization, a manager, a few dozen access points at a few sites, and a
week of their samples written through the real ingest path, so that charts, WiFi sessions
and health have something to show on a fresh installation.

The network itself (clients, traffic, resources) is simulated in
``monitoring/services/demo_network.py``. Samples are written access point by access point,
oldest first, at a fixed interval up to the moment the command started; then each access
point catches up to the present and sends one real-time sample, which sets its health.
Last, the chart rollups are refreshed, so that every chart is complete at once.
"""
from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

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
from monitoring.services import checks, demo_network, ingest
from monitoring.services.devices import generate_key
from monitoring.services.users import hash_password
from monitoring.timeseries import sample_store
from monitoring.timeseries.rollups import refresh_rollups

DEMO_SLUG = "demo"
# Clients keep arriving a little past the seeded period: the samples that catch up with the
# present, written after the bulk, still see a live network.
CATCH_UP_ROOM = timedelta(hours=1)


@dataclass
class DemoResult:
    organization: Organization
    username: str
    password: str
    devices: int
    samples: int


@dataclass
class SeededDevice:
    device: sample_store.SampleDevice
    access_point: demo_network.AccessPoint
    next_time: datetime  # when its next sample is due


def _create_organization() -> tuple[Organization, User, str]:
    organization = Organization(name="Demo Networks", slug=DEMO_SLUG)
    db.session.add(organization)
    db.session.flush()
    password = secrets.token_urlsafe(12)
    manager = User(username="demo-manager", email="demo-manager@example.com", password_hash=hash_password(password))
    manager.memberships.append(OrganizationUser(organization_id=organization.id, is_admin=True))
    db.session.add(manager)
    return organization, manager, password


def _create_locations(organization: Organization) -> tuple[dict[demo_network.Site, Location], FloorPlan]:
    """A location per site; the head office is indoor, with a floorplan."""
    locations = {}
    for site in (*demo_network.SITES, demo_network.HEAD_OFFICE):
        indoor = site is demo_network.HEAD_OFFICE
        location = Location(organization_id=organization.id, name=site.name, type="indoor" if indoor else "outdoor",
                            latitude=site.latitude, longitude=site.longitude, address=f"{site.name}, Rome")
        db.session.add(location)
        locations[site] = location
    db.session.flush()
    floorplan = FloorPlan(id=uuid.uuid4(), organization_id=organization.id,
                          location_id=locations[demo_network.HEAD_OFFICE].id, floor=1)
    db.session.add(floorplan)
    return locations, floorplan


def _create_devices(organization: Organization, profiles: list[demo_network.Profile],
                    rng: random.Random) -> list[Device]:
    """The access points, placed at their sites, with their automatic checks."""
    locations, floorplan = _create_locations(organization)
    devices = []
    for profile in profiles:
        index = profile.index
        device = Device(organization_id=organization.id, name=f"demo-ap-{index:02d}", model="Demo AP 1",
                        os="OpenWrt 23.05", mac_address=f"02:de:00:00:{index // 256:02x}:{index % 256:02x}",
                        key=generate_key(), management_ip=profile.management_ip)
        device.monitoring = DeviceMonitoring(status="unknown")
        db.session.add(device)
        db.session.flush()
        location = locations[profile.site]
        if profile.site is demo_network.HEAD_OFFICE:
            placement = DeviceLocation(device_id=device.id, location_id=location.id, floorplan_id=floorplan.id,
                                       indoor=f"{rng.randint(-200, 0)},{rng.randint(0, 300)}")
        else:
            placement = DeviceLocation(device_id=device.id, location_id=location.id)
        db.session.add(placement)
        devices.append(device)
    db.session.flush()
    checks.create_automatic(db.session, device_ids=[device.id for device in devices])
    return devices


def _store(connection, seeded: SeededDevice, start: datetime, when: datetime) -> None:
    """One sample of ``when`` through the ingest path (one within the last five minutes is
    real time: it sets the device's health)."""
    at = (when - start).total_seconds()
    ingest.store_sample(connection, device=seeded.device, document=seeded.access_point.sample(at),
                        time=when, current=False)


def _store_until(connection, seeded: SeededDevice, *, start: datetime, until: datetime,
                 interval: timedelta) -> int:
    """The device's samples due before ``until``, oldest first; returns how many."""
    count = 0
    while seeded.next_time < until:
        _store(connection, seeded, start, seeded.next_time)
        seeded.next_time += interval
        count += 1
    return count


@contextmanager
def _bulk_connection() -> Iterator:
    """A connection of its own for writing samples in bulk, closed for good afterwards (its
    setting never reaches the pool)."""
    connection = db.engine.raw_connection()
    connection.detach()
    try:
        with connection.cursor() as cursor:
            # Each sample commits on its own, as a device POST does; waiting for every commit
            # to reach the disk would take most of the time. A crash can lose the latest few
            # samples, never leave half of one.
            cursor.execute("SET synchronous_commit TO off")
        connection.commit()
        yield connection
    finally:
        connection.close()


def _store_samples(devices: list[Device], access_points: list[demo_network.AccessPoint], *, start: datetime,
                   end: datetime, interval: timedelta, rng: random.Random, log: Callable[[str], None]) -> int:
    """Every sample of every device: the bulk up to ``end``, then for each device the
    samples that fell due meanwhile and a real-time one. Returns the number written.

    Each device has its own phase within the interval, as real devices do: a chart bucket
    cut short by the edge of its range still gets the samples of some of them."""
    samples = 0
    with _bulk_connection() as connection:
        seeded = []
        for device, access_point in zip(devices, access_points, strict=True):
            with connection.cursor() as cursor:
                target = sample_store.load_device(cursor, device.id, connection.info)
            seeded.append(SeededDevice(target, access_point, start + interval * rng.random()))
            count = _store_until(connection, seeded[-1], start=start, until=end, interval=interval)
            samples += count
            log(f"  {device.name}: {count} samples")
        for device in seeded:
            now = utcnow()
            samples += _store_until(connection, device, start=start, until=now, interval=interval)
            _store(connection, device, start, now)
            samples += 1
    return samples


def seed_demo(*, devices: int = 30, days: int = 7, interval_minutes: int = 5,
              log: Callable[[str], None] = print) -> DemoResult | None:
    """Create the demo data; None if it exists already (it is never duplicated)."""
    if db.session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG)) is not None:
        return None
    rng = random.Random(42)
    organization, manager, password = _create_organization()
    profiles = [demo_network.profile(index) for index in range(devices)]
    created = _create_devices(organization, profiles, rng)
    db.session.commit()

    interval = timedelta(minutes=interval_minutes)
    end = utcnow()
    start = end - days * timedelta(days=1)
    access_points = demo_network.build(
        profiles, start=start, period=(end - start).total_seconds(),
        horizon=(end + CATCH_UP_ROOM - start).total_seconds(), shortest=interval.total_seconds(), rng=rng)
    samples = _store_samples(created, access_points, start=start, end=end, interval=interval, rng=rng,
                             log=log)

    log("refreshing the chart rollups")
    refresh_rollups(db.session, since=start)  # the whole period at once, not hour by hour later
    return DemoResult(organization, manager.username, password, len(created), samples)

