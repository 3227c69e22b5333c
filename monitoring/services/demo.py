"""Demo data: an organization, a manager, a few dozen devices with locations, and a week of
samples written through the real ingest path, so charts, sessions and health have something
to show on a fresh installation."""
from __future__ import annotations

import math
import random
import secrets
import uuid
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
from monitoring.services import ingest
from monitoring.services.devices import generate_key
from monitoring.services.users import hash_password
from monitoring.timeseries import sample_store

DEMO_SLUG = "demo"
# Around Rome: places with names a network operator would recognise.
SITES = [
    ("Central Station", 41.9010, 12.5018), ("University Campus", 41.9035, 12.5144),
    ("City Hall", 41.8933, 12.4829), ("Harbour Office", 41.7410, 12.2400),
    ("North Library", 41.9330, 12.4660), ("Airport Terminal", 41.7999, 12.2462),
]


@dataclass
class DemoResult:
    organization: Organization
    username: str
    password: str
    devices: int
    samples: int


def _payload(index: int, step: int, rng: random.Random, when: datetime) -> dict:
    """One plausible sample of demo device ``index`` at sample number ``step``."""
    hour = when.hour + when.minute / 60
    busy = 0.5 + 0.5 * math.sin((hour - 9) / 24 * 2 * math.pi)  # daytime peak
    clients_now = max(0, round(8 * busy + rng.uniform(-2, 2)))
    troubled = index % 11 == 3  # a few devices run out of disk
    rx = 2_000_000 * step + int(busy * 1_000_000 * step)
    interfaces = [
        {"name": "eth0", "type": "ethernet", "up": True,
         "statistics": {"rx_bytes": rx, "tx_bytes": rx // 4}},
        {"name": "wlan0", "type": "wireless", "up": True,
         "statistics": {"rx_bytes": rx // 3, "tx_bytes": rx // 2},
         "wireless": {"channel": 6, "country": "IT", "frequency": 2437, "mode": "access_point",
                      "noise": -95, "ssid": "demo-wifi", "tx_power": 20, "htmode": "HT20",
                      "clients": [
                          {"mac": f"02:a0:{index:02x}:00:00:{c:02x}", "auth": True,
                           "authorized": True, "ht": True, "vht": False, "wmm": True, "mfp": False}
                          for c in range(clients_now)
                      ]}},
    ]
    if index % 7 == 0:  # an LTE uplink
        interfaces.append({"name": "mobile0", "type": "modem-manager", "mobile": {
            "imei": "300000001234567", "operator_code": "22250", "operator_name": "Demo Mobile",
            "connection_status": "connected", "power_status": "on", "manufacturer": "Demo", "model": "LTE-1",
            "signal": {"lte": {"rssi": -70 + rng.uniform(-8, 8), "rsrp": -100 + rng.uniform(-10, 10),
                               "rsrq": -10 + rng.uniform(-3, 3), "snr": 12 + rng.uniform(-4, 4)}}}})
    disk_used = 0.95 if troubled else 0.4 + 0.1 * busy
    return {
        "type": "DeviceMonitoring",
        "general": {"hostname": f"demo-ap-{index:02d}", "uptime": 3600 + step * 900,
                    "local_time": int(when.timestamp())},
        "resources": {
            "load": [round(0.1 + 0.6 * busy + rng.uniform(0, 0.2), 2)] * 3, "cpus": 1,
            "memory": {"total": 256_000_000, "free": int(256_000_000 * (0.6 - 0.3 * busy)),
                       "buffered": 8_000_000, "shared": 100_000},
            "disk": [{"mount_point": "/", "filesystem": "overlay", "size_bytes": 16_000_000,
                      "used_bytes": int(16_000_000 * disk_used), "available_bytes": int(16_000_000 * (1 - disk_used)),
                      "used_percent": int(100 * disk_used)}],
        },
        "interfaces": interfaces,
    }


def seed_demo(*, devices: int = 30, days: int = 7, interval_minutes: int = 15, log=print) -> DemoResult | None:
    """Create the demo data; None if it exists already (it is never duplicated)."""
    if db.session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG)) is not None:
        return None
    rng = random.Random(42)
    organization = Organization(name="Demo Networks", slug=DEMO_SLUG)
    db.session.add(organization)
    db.session.flush()
    password = secrets.token_urlsafe(12)
    manager = User(username="demo-manager", email="demo-manager@example.com", password_hash=hash_password(password))
    manager.memberships.append(OrganizationUser(organization_id=organization.id, is_admin=True))
    db.session.add(manager)
    locations = []
    for name, latitude, longitude in SITES:
        location = Location(organization_id=organization.id, name=name, type="outdoor",
                            latitude=latitude, longitude=longitude, address=f"{name}, Rome")
        db.session.add(location)
        locations.append(location)
    office = Location(organization_id=organization.id, name="Head Office", type="indoor",
                      latitude=41.8986, longitude=12.4769, address="Head Office, Rome")
    db.session.add(office)
    db.session.flush()
    floorplan = FloorPlan(id=uuid.uuid4(), organization_id=organization.id, location_id=office.id, floor=1)
    db.session.add(floorplan)
    demo_devices = []
    for index in range(devices):
        device = Device(organization_id=organization.id, name=f"demo-ap-{index:02d}", model="Demo AP 1",
                        os="OpenWrt 23.05", mac_address=f"02:de:00:00:00:{index:02x}", key=generate_key())
        device.monitoring = DeviceMonitoring(status="unknown")
        db.session.add(device)
        db.session.flush()
        if index % 5 == 4:
            placement = DeviceLocation(device_id=device.id, location_id=office.id, floorplan_id=floorplan.id,
                                       indoor=f"{rng.randint(-200, 0)},{rng.randint(0, 300)}")
        else:
            placement = DeviceLocation(device_id=device.id, location_id=locations[index % len(locations)].id)
        db.session.add(placement)
        demo_devices.append(device)
    db.session.commit()

    end = utcnow()
    steps = days * 24 * 60 // interval_minutes
    samples = 0
    connection = db.engine.raw_connection()
    try:
        for index, device in enumerate(demo_devices):
            target = sample_store.load_device(connection.cursor(), device.id, connection.info)
            for step in range(steps + 1):
                when = end - timedelta(minutes=interval_minutes * (steps - step))
                # The last sample is "now": real time, so it sets the device's health.
                time = None if step == steps else when
                ingest.store_sample(connection, device=target, document=_payload(index, step, rng, when),
                                    time=time, current=False)
                samples += 1
            log(f"  {device.name}: {steps + 1} samples")
    finally:
        connection.close()
    return DemoResult(organization, manager.username, password, len(demo_devices), samples)
