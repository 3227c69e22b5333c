"""Every monitoring endpoint × every kind of caller × the organization owning what is asked.

Two organizations, A and B, each with devices that sent a sample through the real device
POST (charts, metrics, WiFi sessions, health, a disk problem notification), an indoor
location with a floorplan and an outdoor one, checks and a notification webhook. Every
operation served under ``/api/v1/monitoring/`` and ``/api/v1/notifications/`` is requested
by each caller for an object (or, for lists, a filter) of A and of B, and:

- answers the status docs/api.md gives for that caller (device keys decide alone on the three
  key-capable operations; a key opens only its own device, and nearby devices of its own
  organization; users need to manage the object's organization);
- never shows, in any body (JSON or CSV, errors included), an identifier, name, MAC address
  or key of an organization the answer is not about;
- counts (``count``, list lengths, dashboard totals, feature device counts) exactly what the
  caller's organizations alone give, computed from the world, not from the response.

The world is built once for the module (the per-test truncation is replaced by one at the
end); every write case puts the world back as it was, so the cases are independent.
"""
from __future__ import annotations

import copy
import csv
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text, update

from monitoring.extensions import db
from monitoring.models import (
    Check,
    DeviceGroup,
    DeviceLocation,
    DeviceMonitoring,
    EmailPreference,
    FloorPlan,
    HeldNotification,
    MaintenanceWindow,
    MaintenanceWindowTarget,
    Metric,
    Notification,
    NotificationWebhook,
    WifiSession,
)
from tests.conftest import Factory
from tests.geo.support import access_point, wifi_client
from tests.ingest.test_device_samples import RESOURCES

NOT_AUTHENTICATED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
NOT_MANAGER = "User is not a manager of the organization to which the requested resource belongs."
NO_PERMISSION = "You do not have permission to perform this action."
INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."

PREFIXES = ("/api/v1/monitoring/", "/api/v1/notifications/")

ROLES = ("superuser", "manager_a", "manager_b", "member_a", "anonymous", "key_a", "key_a2", "key_b",
         "wrong_key", "revoked_token")
# key_a / key_b: the key of the device the A / B cases ask about; key_a2: the key of another
# device of A. revoked_token: a superuser's token, issued then revoked.
KEY_ROLES = ("key_a", "key_a2", "key_b", "wrong_key")
NO_USER = ("anonymous", "revoked_token", *KEY_ROLES)
ROLE_ORGS = {"superuser": "AB", "manager_a": "A", "manager_b": "B", "member_a": "", "anonymous": "",
             "key_a": "A", "key_a2": "A", "key_b": "B", "wrong_key": "", "revoked_token": ""}

# Owners: the object of A, of B; for lists, no filter or a filter on A or B; for objects
# nested in a device, A's device with B's metric or check.
ALL, MIXED = "all", "A+B"
OBJECTS = ("A", "B")
NESTED = ("A", "B", MIXED)
LISTS = (ALL, "A", "B")
OWNER_IDS = {"A": "org-A", "B": "org-B", ALL: "all", MIXED: "device-A-child-B"}


# --- the world --------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceSpec:
    name: str
    mac: str
    place: str | None  # "indoor" (on the floorplan), "outdoor" or None
    clients: tuple[str, ...]  # WiFi clients on its access point
    rx_bytes: int  # on "wan": what the dashboard's traffic sums
    disk_full: bool = False  # a disk problem: one notification per recipient


SHARED_CLIENT = "cc:cc:cc:00:00:01"  # a phone seen by both organizations
SPECS = {
    "A": [
        DeviceSpec("alpha-ap-1", "0a:00:00:00:00:01", "indoor", ("a0:a0:a0:00:00:01", "a0:a0:a0:00:00:02",
                                                                  SHARED_CLIENT), 1_000_000_000, disk_full=True),
        DeviceSpec("alpha-ap-2", "0a:00:00:00:00:02", "indoor", ("a0:a0:a0:00:00:03",), 1_000_000_000),
        DeviceSpec("alpha-gw", "0a:00:00:00:00:03", "outdoor", (), 1_000_000_000),
        DeviceSpec("alpha-spare", "0a:00:00:00:00:04", None, ("a0:a0:a0:00:00:04",), 1_000_000_000),
    ],
    "B": [
        DeviceSpec("bravo-ap-1", "0b:00:00:00:00:01", "indoor", ("b0:b0:b0:00:00:01", SHARED_CLIENT),
                   3_000_000_000, disk_full=True),
        DeviceSpec("bravo-gw", "0b:00:00:00:00:02", "outdoor", (), 3_000_000_000),
        DeviceSpec("bravo-spare", "0b:00:00:00:00:03", None, ("b0:b0:b0:00:00:02",), 3_000_000_000),
    ],
}
ORG_NAMES = {"A": "Alpha Networks", "B": "Bravo Networks"}
POSITIONS = {"A": (41.9, 12.5), "B": (45.46, 9.19)}


@dataclass
class DeviceInfo:
    spec: DeviceSpec
    id: str
    key: str
    sample: dict
    location_id: str | None = None


@dataclass
class Tenant:
    letter: str
    org_id: str
    name: str
    slug: str
    devices: list[DeviceInfo]
    indoor_id: str
    outdoor_id: str
    floorplan_id: str
    webhook_url: str
    webhook_secret: str = ""
    cpu_metric_id: str = ""
    metric_count: int = 0
    ping_check_id: str = ""
    spare_check_id: str = ""  # a check of the primary device the DELETE cases remove
    session_id: str = ""
    window_id: str = ""  # a maintenance window (in the future: it holds nothing now) with a held notification
    spare_window_id: str = ""  # the one the DELETE cases remove
    notification_ids: dict[str, str] = field(default_factory=dict)  # recipient role -> row
    statuses: dict[str, str] = field(default_factory=dict)  # device id -> health status
    tokens: set[str] = field(default_factory=set)  # what must not appear outside its answers

    @property
    def primary(self) -> DeviceInfo:
        return self.devices[0]

    @property
    def located(self) -> list[DeviceInfo]:
        return [device for device in self.devices if device.spec.place]

    def at(self, location_id: str) -> list[DeviceInfo]:
        return [device for device in self.devices if device.location_id == location_id]

    @property
    def mapped_locations(self) -> list[str]:
        """The locations with devices: the map's features."""
        return [location_id for location_id in (self.indoor_id, self.outdoor_id) if self.at(location_id)]

    @property
    def session_count(self) -> int:
        return sum(len(device.spec.clients) for device in self.devices)


@dataclass
class World:
    tenants: dict[str, Tenant]
    headers: dict[str, dict]
    keys: dict[str, str]
    sample_time: str
    baseline_checks: set[uuid.UUID]
    baseline_windows: set[uuid.UUID] = field(default_factory=set)

    def orgs(self, letters: str) -> list[Tenant]:
        return [self.tenants[letter] for letter in letters]


def sample_of(spec: DeviceSpec) -> dict:
    resources = copy.deepcopy(RESOURCES)
    if spec.disk_full:
        resources["disk"][0]["used_bytes"] = 29000
    interfaces = [{"name": "wan", "type": "ethernet",
                   "statistics": {"rx_bytes": spec.rx_bytes, "tx_bytes": spec.rx_bytes // 2}}]
    if spec.clients:
        interfaces.append(access_point("wlan0", [wifi_client(mac) for mac in spec.clients]))
    return {"type": "DeviceMonitoring", "interfaces": interfaces, "resources": resources}


def identifiers(value) -> set[str]:
    """How an identifier may show in a body: a UUID dashed or as 32 hex digits."""
    value = str(value).lower()
    try:
        return {value, uuid.UUID(value).hex}
    except ValueError:
        return {value}


def build_world(make: Factory, client) -> World:
    orgs = {letter: make.org(ORG_NAMES[letter]) for letter in "AB"}
    # Users first: a problem notifies the managers and superusers there are when it happens.
    superuser = make.user(superuser=True)
    users = {"superuser": superuser, "manager_a": make.user(manages=[orgs["A"]]),
             "manager_b": make.user(manages=[orgs["B"]]), "member_a": make.user(member_of=[orgs["A"]])}
    headers = {role: make.headers(user) for role, user in users.items()}
    revoked = make.token(superuser)  # rotated away: the old token no longer authenticates
    assert client.post("/api/v1/users/token/rotate/", headers={"Authorization": f"Bearer {revoked}"}).status_code == 200
    headers.update({"revoked_token": {"Authorization": f"Bearer {revoked}"}, "anonymous": {}})
    for role in KEY_ROLES:
        headers[role] = {}

    sample_time = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%d-%m-%Y_%H:%M:%S.%f")
    tenants = {}
    for letter, org in orgs.items():
        latitude, longitude = POSITIONS[letter]
        name = ORG_NAMES[letter].split()[0]
        indoor = make.location(org, name=f"{name} HQ", type="indoor", latitude=latitude, longitude=longitude)
        outdoor = make.location(org, name=f"{name} Depot", latitude=latitude + 0.01, longitude=longitude + 0.01)
        floorplan = FloorPlan(organization_id=org.id, location_id=indoor.id, floor=1)
        group = DeviceGroup(organization_id=org.id, name=f"{name} access points")
        db.session.add_all([floorplan, group])
        db.session.commit()
        devices = []
        for n, spec in enumerate(SPECS[letter]):
            device = make.device(org, name=spec.name, mac_address=spec.mac, group_id=group.id)
            info = DeviceInfo(spec, str(device.id), device.key, sample_of(spec))
            if spec.place:
                location = indoor if spec.place == "indoor" else outdoor
                info.location_id = str(location.id)
                db.session.add(DeviceLocation(
                    device_id=device.id, location_id=location.id,
                    floorplan_id=floorplan.id if spec.place == "indoor" else None,
                    indoor=f"{10 + n}.5,{20 + n}.25" if spec.place == "indoor" else None,
                ))
                db.session.commit()
            devices.append(info)
        tenant = Tenant(letter, str(org.id), org.name, org.slug, devices, str(indoor.id), str(outdoor.id),
                        str(floorplan.id), f"https://93.184.215.14/hooks/{name.lower()}-{uuid.uuid4().hex[:8]}")
        webhook = NotificationWebhook(organization_id=org.id, url=tenant.webhook_url)
        db.session.add(webhook)
        primary = uuid.UUID(tenant.primary.id)
        ping = Check(device_id=primary, name="Ping", check_type="ping", params={})
        spare = Check(device_id=primary, name="WiFi Clients", check_type="wifi_clients", params={})
        db.session.add_all([ping, spare])
        db.session.commit()
        tenant.ping_check_id, tenant.spare_check_id = str(ping.id), str(spare.id)
        tenant.webhook_secret = webhook.secret
        tenant.tokens |= identifiers(org.id) | identifiers(group.id) | identifiers(floorplan.id)
        tenant.tokens |= {org.name.lower(), org.slug.lower(), group.name.lower(), tenant.webhook_url,
                          tenant.webhook_secret}
        for location in (indoor, outdoor):
            tenant.tokens |= identifiers(location.id) | {location.name.lower()}
        tenants[letter] = tenant

    for tenant in tenants.values():  # every device sends its sample through the real endpoint
        for device in tenant.devices:
            response = client.post(f"/api/v1/monitoring/device/{device.id}/?key={device.key}&time={sample_time}",
                                    json=device.sample)
            assert response.status_code == 200, response.get_data(as_text=True)
            tenant.tokens |= identifiers(device.id) | {device.spec.name, device.spec.mac, device.key.lower()}
            tenant.tokens |= {mac for mac in device.spec.clients if mac != SHARED_CLIENT}

    db.session.expire_all()
    for tenant in tenants.values():
        org_id = uuid.UUID(tenant.org_id)
        device_ids = [uuid.UUID(device.id) for device in tenant.devices]
        primary = device_ids[0]
        metrics = db.session.execute(select(Metric.id, Metric.device_id, Metric.configuration)
                                     .where(Metric.device_id.in_(device_ids))).all()
        tenant.metric_count = sum(1 for metric in metrics if metric.device_id == primary)
        tenant.cpu_metric_id = next(str(m.id) for m in metrics if m.device_id == primary and m.configuration == "cpu")
        sessions = db.session.execute(select(WifiSession.id, WifiSession.device_id)
                                      .where(WifiSession.device_id.in_(device_ids))).all()
        assert len(sessions) == tenant.session_count
        tenant.session_id = next(str(s.id) for s in sessions if s.device_id == primary)
        notifications = db.session.execute(select(Notification.id, Notification.recipient_id)
                                           .where(Notification.organization_id == org_id)).all()
        recipients = {users["superuser"].id: "superuser", users[f"manager_{tenant.letter.lower()}"].id: "manager"}
        tenant.notification_ids = {recipients[n.recipient_id]: str(n.id) for n in notifications}
        assert len(notifications) == 2, notifications  # the disk problem, for the superuser and the manager
        rows = db.session.execute(select(DeviceMonitoring.device_id, DeviceMonitoring.status)
                                  .where(DeviceMonitoring.device_id.in_(device_ids)))
        tenant.statuses = {str(device_id): status for device_id, status in rows}
        for row_id in [m.id for m in metrics] + [s.id for s in sessions] + [n.id for n in notifications]:
            tenant.tokens |= identifiers(row_id)
        tenant.tokens |= identifiers(tenant.ping_check_id) | identifiers(tenant.spare_check_id)

    for tenant in tenants.values():
        add_windows(tenant)

    keys = {"key_a": tenants["A"].primary.key, "key_a2": tenants["A"].devices[1].key,
            "key_b": tenants["B"].primary.key, "wrong_key": "0" * 32}
    baseline = set(db.session.execute(select(Check.id)).scalars())
    windows = set(db.session.execute(select(MaintenanceWindow.id)).scalars())
    return World(tenants, headers, keys, sample_time, baseline, windows)


WINDOW_START, WINDOW_END = datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC)


def spare_window(tenant: Tenant, window_id: uuid.UUID | None = None) -> MaintenanceWindow:
    return MaintenanceWindow(id=window_id, organization_id=uuid.UUID(tenant.org_id), name=f"{tenant.name} spare",
                             starts_at=WINDOW_START, ends_at=WINDOW_END, whole_organization=True)


def add_windows(tenant: Tenant) -> None:
    """A window covering the primary device, with a notification it held, and a spare one."""
    window = MaintenanceWindow(organization_id=uuid.UUID(tenant.org_id), name=f"{tenant.name} upgrade",
                               starts_at=WINDOW_START, ends_at=WINDOW_END)
    window.targets = [MaintenanceWindowTarget(device_id=uuid.UUID(tenant.primary.id))]
    spare = spare_window(tenant)
    db.session.add_all([window, spare])
    db.session.flush()
    held = HeldNotification(window_id=window.id, organization_id=window.organization_id,
                            device_id=uuid.UUID(tenant.primary.id), metric_id=uuid.UUID(tenant.cpu_metric_id),
                            type="cpu_problem", level="warning", message=f"{tenant.name} CPU", event_time=WINDOW_START)
    db.session.add(held)
    db.session.commit()
    tenant.window_id, tenant.spare_window_id = str(window.id), str(spare.id)
    tenant.tokens |= identifiers(window.id) | identifiers(spare.id) | identifiers(held.id)
    tenant.tokens |= {window.name.lower(), spare.name.lower()}


def restore(world: World) -> None:
    """Undo what a write case may have done: created or deleted checks, notifications read,
    webhooks removed, webhook secrets rotated."""
    db.session.execute(delete(Check).where(Check.id.not_in(world.baseline_checks)))
    for tenant in world.tenants.values():
        if not db.session.scalar(select(Check.id).where(Check.id == uuid.UUID(tenant.spare_check_id))):
            db.session.add(Check(id=uuid.UUID(tenant.spare_check_id), device_id=uuid.UUID(tenant.primary.id),
                                 name="WiFi Clients", check_type="wifi_clients", params={}))
        org_id = uuid.UUID(tenant.org_id)
        if not db.session.scalar(select(NotificationWebhook.url).where(NotificationWebhook.organization_id == org_id)):
            db.session.add(NotificationWebhook(organization_id=org_id, url=tenant.webhook_url))
            db.session.flush()
        db.session.execute(update(NotificationWebhook).where(NotificationWebhook.organization_id == org_id)
                           .values(secret=tenant.webhook_secret))
    db.session.execute(update(Notification).values(unread=True))
    db.session.execute(delete(EmailPreference))
    db.session.execute(delete(MaintenanceWindow).where(MaintenanceWindow.id.not_in(world.baseline_windows)))
    for tenant in world.tenants.values():
        if not db.session.get(MaintenanceWindow, uuid.UUID(tenant.spare_window_id)):
            db.session.add(spare_window(tenant, uuid.UUID(tenant.spare_window_id)))
    db.session.commit()


def truncate_everything() -> None:
    db.session.remove()
    tables = ", ".join(table.name for table in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture(autouse=True)
def clean_database():
    """Replaces the per-test truncation: the world is shared by the module's cases and
    removed once, when the module ends."""
    yield


@pytest.fixture(scope="module")
def world(app, data_app):
    try:
        with data_app.app_context():
            built = build_world(Factory(), app.test_client())
            db.session.remove()
        yield built
    finally:
        with data_app.app_context():
            truncate_everything()


# --- who gets what ----------------------------------------------------------------------

def owns(role: str, owner: str) -> bool:
    """Whether ``role`` may reach organization ``owner``'s object: a superuser any, a manager
    their organization's, a key its own device (the one the cases of its organization ask
    about; not so key_a2's)."""
    if role == "superuser":
        return True
    return role not in ("member_a", "key_a2") and owner in OBJECTS and ROLE_ORGS[role] == owner


def user_object(ok: int = 200) -> Callable[[str, str], int]:
    """Manager endpoints about one object: another tenant's is as missing as a missing one."""

    def expected(role: str, owner: str) -> int:
        if role in NO_USER:
            return 401
        if role == "member_a":
            return 403
        if owner == MIXED:
            return 404
        return ok if owns(role, owner) else 404

    return expected


def device_detail(role: str, owner: str) -> int:
    """Spec §3: a non-empty key decides alone (403 unless it is the device's own); a user
    must manage the device's organization (403 otherwise)."""
    if role in KEY_ROLES:
        return 200 if owns(role, owner) else 403
    if role in ("anonymous", "revoked_token"):
        return 401
    return 200 if role != "member_a" and owns(role, owner) else 403


def device_post(role: str, owner: str) -> int:
    """Spec §4: only the device's own key; users and tokens count for nothing."""
    return 200 if role in KEY_ROLES and owns(role, owner) else 403


def nearby(role: str, owner: str) -> int:
    """docs/api.md §5, §15.1 and §15.7: any failed key, or a device the user may not see, is 404."""
    if role in KEY_ROLES:
        return 200 if owns(role, owner) else 404
    if role in ("anonymous", "revoked_token"):
        return 401
    if role == "member_a":
        return 403
    return 200 if owns(role, owner) else 404


def filtered_list(other: int) -> Callable[[str, str], int]:
    """Lists filtered by organization: ``other`` when the filter names one the caller does
    not manage (400 invalid choice, 403 for the dashboard's slugs, 200 empty for slugs)."""

    def expected(role: str, owner: str) -> int:
        if role in NO_USER:
            return 401
        if role == "member_a":
            return 403
        return 200 if owner == ALL or owns(role, owner) else other

    return expected


def any_user(role: str, owner: str) -> int:
    return 401 if role in NO_USER else 200


def own_notification(role: str, owner: str) -> int:
    """Notifications are per recipient: only the caller's own copy is found."""
    if role in NO_USER:
        return 401
    return 200 if role != "member_a" and owns(role, owner) else 404


def belongs(role: str, owner: str) -> int:
    """A user's own choices: for an organization they belong to (member or manager; a
    superuser: any), another is missing."""
    if role in NO_USER:
        return 401
    return 200 if role == "superuser" or MEMBER_ORGS[role] == owner else 404


MEMBER_ORGS = {"manager_a": "A", "manager_b": "B", "member_a": "A"}


def creator(ok: int = 201) -> Callable[[str, str], int]:
    """Creating an object in an organization: one the caller does not manage is invalid input."""

    def expected(role: str, owner: str) -> int:
        if role in NO_USER:
            return 401
        if role == "member_a":
            return 403
        return ok if owns(role, owner) else 400

    return expected


def superusers(ok: int = 200) -> Callable[[str, str], int]:
    def expected(role: str, owner: str) -> int:
        if role in NO_USER:
            return 401
        return ok if role == "superuser" else 403

    return expected


# --- what a successful answer must (not) hold --------------------------------------------

def scope(role: str, owner: str) -> str:
    """The organizations a list answer may contain."""
    return ROLE_ORGS[role] if owner == ALL else owner


def ids(items, key: str = "id") -> set[str]:
    return {item[key] for item in items}


def check_device_list(world, role, owner, body):
    devices = [d for tenant in world.orgs(scope(role, owner)) for d in tenant.devices]
    assert body["count"] == len(devices) and ids(body["results"]) == {d.id for d in devices}
    assert all("key" not in item for item in body["results"])  # docs/api.md §15.1: no keys in lists


def check_slug_list(world, role, owner, body):
    devices = [d for tenant in world.orgs(owner if owns(role, owner) else "") for d in tenant.devices]
    assert body["count"] == len(devices) and ids(body["results"]) == {d.id for d in devices}


def check_device_detail(world, role, owner, body):
    device = world.tenants[owner].primary
    assert body["id"] == device.id and body["key"] == device.key
    assert len(body["monitoring"]["related_metrics"]) == world.tenants[owner].metric_count
    wireless = [i["wireless"] for i in body["data"]["interfaces"] if "wireless" in i]
    assert body["charts"] and [c["mac"] for c in wireless[0]["clients"]] == list(device.spec.clients)


def csv_rows(text_body: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text_body)))
    return rows[0], rows[1:]


def column_max(text_body: str, column: str) -> float:
    header, rows = csv_rows(text_body)
    index = header.index(column)
    return max(float(row[index]) for row in rows if len(row) > index and row[index])


def check_device_csv(world, role, owner, response):
    device = world.tenants[owner].primary
    assert response.mimetype == "text/csv"
    assert column_max(response.get_data(as_text=True), "wifi_clients - WiFi clients: wlan0") == len(
        device.spec.clients)


def dashboard_devices(world, role, owner, where: str) -> list[DeviceInfo]:
    """The devices whose points the dashboard sums: of the selected organizations, or at
    the owner's indoor location (every device there is on its floorplan)."""
    if where == "organizations":
        return [device for tenant in world.orgs(scope(role, owner)) for device in tenant.devices]
    return world.tenants[owner].at(world.tenants[owner].indoor_id)


def dashboard_totals(world, role, owner, where: str) -> tuple[int, float]:
    devices = dashboard_devices(world, role, owner, where)
    clients = {mac for device in devices for mac in device.spec.clients}
    return len(clients), sum(device.spec.rx_bytes for device in devices) / 1e9


def dashboard_check(where: str = "organizations"):
    return lambda world, role, owner, body: check_dashboard(world, role, owner, body, where)


def check_dashboard(world, role, owner, body, where="organizations"):
    clients, download = dashboard_totals(world, role, owner, where)
    charts = {chart["title"]: chart for chart in body["charts"]}
    assert charts["General WiFi Clients"]["summary"] == {"wifi_clients": clients}
    assert charts["General Traffic"]["summary"]["download"] == download
    choices = {choice["id"] for choice in body.get("organizations", [])}
    assert choices == ({t.slug for t in world.tenants.values()} if role == "superuser" else set())


def check_dashboard_csv(world, role, owner, response):
    clients, download = dashboard_totals(world, role, owner, "organizations")
    text_body = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert column_max(text_body, "wifi_clients - General WiFi Clients") == clients
    assert column_max(text_body, "download - General Traffic") == download


def check_metrics(world, role, owner, body):
    assert len(body) == world.tenants[owner].metric_count


def check_alert_settings(world, role, owner, body):
    assert body["metric"] == world.tenants[owner].cpu_metric_id


def check_check_list(world, role, owner, body):
    tenant = world.tenants[owner]
    assert body["count"] == 2 and ids(body["results"]) == {tenant.ping_check_id, tenant.spare_check_id}


def check_created_check(world, role, owner, body):
    assert body["check_type"] == "data_collected"


def check_ping_check(world, role, owner, body):
    assert body["id"] == world.tenants[owner].ping_check_id


def check_nearby(world, role, owner, body):
    reference = world.tenants[owner].primary
    letters = "AB" if role == "superuser" else owner
    devices = [d for tenant in world.orgs(letters) for d in tenant.located if d.id != reference.id]
    assert body["count"] == len(devices) and ids(body["results"]) == {d.id for d in devices}
    assert all(item["organization"] in {t.org_id for t in world.orgs(letters)} for item in body["results"])


def check_geojson(world, role, owner, body):
    expected = {}
    for tenant in world.orgs(scope(role, owner)):
        for location_id in tenant.mapped_locations:
            devices = tenant.at(location_id)
            statuses = [tenant.statuses[d.id] for d in devices]
            expected[location_id] = {"device_count": len(devices),
                                     **{f"{s}_count": statuses.count(s) for s in ("ok", "problem", "critical",
                                                                                   "unknown")}}
    assert body["count"] == len(expected) == len(body["features"])
    assert {f["id"]: {k: f["properties"][k] for k in expected[f["id"]]} for f in body["features"]} == expected


def check_slug_geojson(world, role, owner, body):
    locations = {location for t in world.orgs(owner if owns(role, owner) else "") for location in t.mapped_locations}
    assert body["count"] == len(locations) == len(body["features"]) and ids(body["features"]) == locations


def check_location_devices(world, role, owner, body):
    tenant = world.tenants[owner]
    devices = tenant.at(tenant.indoor_id)
    assert body["count"] == len(devices) and ids(body["results"]) == {d.id for d in devices}
    assert body["has_floorplan"] is True and all("key" not in item for item in body["results"])


def check_indoor(world, role, owner, body):
    tenant = world.tenants[owner]
    devices = tenant.at(tenant.indoor_id)
    assert body["count"] == len(devices) and ids(body["results"], "device_id") == {d.id for d in devices}
    assert body["floors"] == [1] and {item["floorplan_id"] for item in body["results"]} == {tenant.floorplan_id}


def check_sessions(world, role, owner, body):
    tenants = world.orgs(scope(role, owner))
    assert body["count"] == sum(tenant.session_count for tenant in tenants) == len(body["results"])
    assert {item["organization"] for item in body["results"]} == {tenant.name for tenant in tenants}


def check_device_sessions(world, role, owner, body):
    device = world.tenants[owner].primary
    assert body["count"] == len(device.spec.clients) == len(body["results"])
    assert {item["device"] for item in body["results"]} == {device.spec.name}


def check_session(world, role, owner, body):
    tenant = world.tenants[owner]
    assert body["id"] == tenant.session_id and body["device"] == tenant.primary.spec.name


def check_notifications(world, role, owner, body):
    expected = {notification_for(world, role, letter) for letter in ROLE_ORGS[role]}
    assert body["count"] == len(expected) and ids(body["results"]) == expected
    assert all(item["unread"] for item in body["results"])


def check_marked_read(world, role, owner, body):
    assert body == {"count": len(world.orgs(ROLE_ORGS[role]))}


def notification_check(unread: bool):
    def check(world, role, owner, body):
        tenant = world.tenants[owner]
        assert body["id"] == notification_for(world, role, owner) and body["organization"] == tenant.org_id
        assert body["unread"] is unread

    return check


def check_availability(world, role, owner, body):
    tenants = world.orgs(scope(role, owner))
    devices = {device.id for tenant in tenants for device in tenant.devices}
    assert body["count"] == body["summary"]["devices"] == len(devices)
    assert {item["device"]["id"] for item in body["results"]} == devices
    assert ids(body["organizations"]) == {tenant.org_id for tenant in tenants}


def check_availability_csv(world, role, owner, response):
    devices = {device.id for tenant in world.orgs(scope(role, owner)) for device in tenant.devices}
    header, rows = csv_rows(response.get_data(as_text=True))
    assert {row[header.index("device_id")] for row in rows} == devices


def check_device_availability(world, role, owner, body):
    assert body["device"]["id"] == world.tenants[owner].primary.id


def managers(status: int) -> Callable[[str, str], int]:
    def expected(role: str, owner: str) -> int:
        if role in NO_USER:
            return 401
        return 403 if role == "member_a" else status

    return expected


def check_not_a_stream_server(world, role, owner, body):
    # The test application serves no streams (tests/events/ opens them, with two tenants).
    assert body == {"detail": "This server does not serve the event stream (EVENTS_STREAM): the events server does."}


def check_webhook(world, role, owner, body):
    tenant = world.tenants[owner]
    assert body == body | {"organization": tenant.org_id, "url": tenant.webhook_url, "is_active": True,
                           "secret": tenant.webhook_secret}


def check_email_preference_list(world, role, owner, body):
    letters = "AB" if role == "superuser" else MEMBER_ORGS[role]
    assert ids(body["results"], "organization") == {world.tenants[letter].org_id for letter in letters}
    assert all(item["mode"] == "digest" and item["is_default"] for item in body["results"])


def email_preference_check(mode: str):
    def check(world, role, owner, body):
        assert body == {"organization": world.tenants[owner].org_id, "organization_name": world.tenants[owner].name,
                        "mode": mode, "is_default": mode == "digest"}

    return check


def check_email_deliveries(world, role, owner, body):
    notifications = {row_id for tenant in world.tenants.values() for row_id in tenant.notification_ids.values()}
    assert body["count"] == len(notifications) and ids(body["results"], "notification") == notifications
    assert all(item["state"] == "pending" for item in body["results"])


def check_window_list(world, role, owner, body):
    tenants = world.orgs(scope(role, owner))
    assert body["count"] == 2 * len(tenants)
    assert ids(body["results"]) == {w for t in tenants for w in (t.window_id, t.spare_window_id)}


def check_window(world, role, owner, body):
    tenant = world.tenants[owner]
    assert body["id"] == tenant.window_id and body["devices"] == [tenant.primary.id]
    assert body["is_open"] is False


def check_held_notifications(world, role, owner, body):
    tenant = world.tenants[owner]
    assert body["count"] == 1 and body["results"][0]["device"] == tenant.primary.id


def window_body(world: World, owner: str) -> dict:
    tenant = world.tenants[owner]
    return {"organization": tenant.org_id, "name": f"{tenant.name} upgrade", "start": "2030-01-01T00:00:00Z",
            "end": "2030-01-02T00:00:00Z", "devices": [tenant.primary.id]}


def check_rotated_secret(world, role, owner, body):
    tenant = world.tenants[owner]
    assert body == body | {"organization": tenant.org_id, "url": tenant.webhook_url}
    assert re.fullmatch(r"[0-9a-f]{64}", body["secret"]) and body["secret"] != tenant.webhook_secret


# --- the operations -----------------------------------------------------------------------

@dataclass(frozen=True)
class Operation:
    name: str
    endpoint: str  # the Flask endpoint the path must reach
    method: str
    path: Callable[[World, str, str], str]  # (world, owner, role) -> path and query
    expected: Callable[[str, str], int]
    owners: tuple[str, ...] = OBJECTS
    body: Callable[[World, str], dict] | None = None
    check: Callable | None = None  # (world, role, owner, JSON body, or the response for CSV)
    csv: bool = False
    accepts_key: bool = False  # key-capable: a 403 to a key is "not authenticated"
    denied: str = NOT_MANAGER  # the 403 detail for users
    invalid_filter: str | None = None  # the field of a 400 for another tenant's filter value
    invalid_body: Callable[[World, str], dict] | None = None  # the 400 for another tenant's id in a body
    visible: Callable[[str, str], str] | None = None  # organizations a 2xx may show
    writes: bool = False


def device_owner(world: World, owner: str) -> Tenant:
    return world.tenants["A" if owner == MIXED else owner]


def child(world: World, owner: str) -> Tenant:
    return world.tenants["B" if owner == MIXED else owner]


def device_url(world, owner, suffix="") -> str:
    return f"/api/v1/monitoring/device/{device_owner(world, owner).primary.id}/{suffix}"


def org_filter(name: str, attribute: str = "org_id") -> Callable[[World, str], str]:
    def query(world: World, owner: str) -> str:
        return "" if owner == ALL else f"?{name}={getattr(world.tenants[owner], attribute)}"

    return query


def with_query(path: str, parameter: str) -> str:
    return path + ("&" if "?" in path else "?") + parameter


def notification_for(world: World, role: str, owner: str) -> str:
    """Org ``owner``'s notification as ``role`` would ask for it: their own copy if they
    have one, else the copy of that organization's manager."""
    return world.tenants[owner].notification_ids["superuser" if role == "superuser" else "manager"]


DEVICE_LIST = org_filter("organization")
SLUG_FILTER = org_filter("organization_slug", "slug")
WEBHOOK = "/api/v1/notifications/organization/{}/webhook/"
EMAIL_PREFERENCE = "/api/v1/notifications/email-preference/"
MAINTENANCE = "/api/v1/monitoring/maintenance/"
NOTIFICATIONS = "/api/v1/notifications/notification/"

OPERATIONS = [
    Operation("GET dashboard", "dashboard.get_dashboard", "GET",
              lambda w, o, r: "/api/v1/monitoring/dashboard/" + SLUG_FILTER(w, o), filtered_list(403),
              owners=LISTS, check=check_dashboard, denied=NO_PERMISSION,
              visible=lambda role, owner: ROLE_ORGS[role]),
    Operation("GET dashboard by location", "dashboard.get_dashboard", "GET",
              lambda w, o, r: f"/api/v1/monitoring/dashboard/?location_id={w.tenants[o].indoor_id}",
              filtered_list(404), check=dashboard_check("location"), denied=NO_PERMISSION,
              visible=lambda role, owner: ROLE_ORGS[role]),
    Operation("GET dashboard by floorplan", "dashboard.get_dashboard", "GET",
              lambda w, o, r: f"/api/v1/monitoring/dashboard/?floorplan_id={w.tenants[o].floorplan_id}",
              filtered_list(404), check=dashboard_check("floorplan"), denied=NO_PERMISSION,
              visible=lambda role, owner: ROLE_ORGS[role]),
    Operation("GET dashboard CSV", "dashboard.get_dashboard", "GET",
              lambda w, o, r: with_query("/api/v1/monitoring/dashboard/" + SLUG_FILTER(w, o), "csv=1"),
              filtered_list(403), owners=LISTS, check=check_dashboard_csv, csv=True, denied=NO_PERMISSION),
    Operation("GET device list", "device_monitoring.list_devices", "GET",
              lambda w, o, r: "/api/v1/monitoring/device/" + DEVICE_LIST(w, o), filtered_list(400),
              owners=LISTS, check=check_device_list, invalid_filter="organization"),
    Operation("GET device list by slug", "device_monitoring.list_devices", "GET",
              lambda w, o, r: "/api/v1/monitoring/device/" + SLUG_FILTER(w, o), filtered_list(200),
              check=check_slug_list, visible=lambda role, owner: owner if owns(role, owner) else ""),
    Operation("GET device detail", "device_monitoring.get_device_detail", "GET",
              lambda w, o, r: device_url(w, o) + "?status=1", device_detail, check=check_device_detail,
              accepts_key=True),
    Operation("GET device detail CSV", "device_monitoring.get_device_detail", "GET",
              lambda w, o, r: device_url(w, o) + "?csv=1", device_detail, check=check_device_csv, csv=True,
              accepts_key=True),
    # The device's own sample again, at the same time: stored already, so it adds nothing.
    Operation("POST device data", "device_monitoring.post_device_data", "POST",
              lambda w, o, r: device_url(w, o) + f"?time={w.sample_time}", device_post,
              body=lambda w, o: w.tenants[o].primary.sample, accepts_key=True, denied=NOT_AUTHENTICATED,
              writes=True),
    Operation("GET availability", "availability.get_availability", "GET",
              lambda w, o, r: with_query("/api/v1/monitoring/availability/" + DEVICE_LIST(w, o), "page_size=100"),
              filtered_list(400), owners=LISTS, check=check_availability, invalid_filter="organization"),
    Operation("GET availability CSV", "availability.get_availability", "GET",
              lambda w, o, r: with_query("/api/v1/monitoring/availability/" + DEVICE_LIST(w, o), "csv=1"),
              filtered_list(400), owners=LISTS, check=check_availability_csv, csv=True,
              invalid_filter="organization"),
    Operation("GET device availability", "availability.get_device_availability", "GET",
              lambda w, o, r: device_url(w, o, "availability/"), user_object(), check=check_device_availability),
    Operation("GET events", "events.stream_events", "GET", lambda w, o, r: "/api/v1/monitoring/events/",
              managers(503), owners=(ALL,), check=check_not_a_stream_server),
    Operation("GET metric list", "device_monitoring.list_metrics", "GET",
              lambda w, o, r: device_url(w, o, "metric/"), user_object(), check=check_metrics),
    Operation("GET alert settings", "device_health.AlertSettings", "GET",
              lambda w, o, r: device_url(w, o, f"metric/{child(w, o).cpu_metric_id}/alert-settings/"),
              user_object(), owners=NESTED, check=check_alert_settings),
    Operation("PATCH alert settings", "device_health.AlertSettings", "PATCH",
              lambda w, o, r: device_url(w, o, f"metric/{child(w, o).cpu_metric_id}/alert-settings/"),
              user_object(), owners=NESTED, body=lambda w, o: {"is_active": True}, check=check_alert_settings,
              writes=True),
    Operation("GET check list", "device_health.DeviceChecks", "GET",
              lambda w, o, r: device_url(w, o, "check/"), user_object(), check=check_check_list),
    Operation("POST check", "device_health.DeviceChecks", "POST",
              lambda w, o, r: device_url(w, o, "check/"), user_object(201),
              body=lambda w, o: {"check_type": "data_collected"}, check=check_created_check, writes=True),
    Operation("GET check", "device_health.DeviceCheck", "GET",
              lambda w, o, r: device_url(w, o, f"check/{child(w, o).ping_check_id}/"), user_object(),
              owners=NESTED, check=check_ping_check),
    Operation("PATCH check", "device_health.DeviceCheck", "PATCH",
              lambda w, o, r: device_url(w, o, f"check/{child(w, o).ping_check_id}/"), user_object(),
              owners=NESTED, body=lambda w, o: {"is_active": True}, check=check_ping_check, writes=True),
    Operation("DELETE check", "device_health.DeviceCheck", "DELETE",
              lambda w, o, r: device_url(w, o, f"check/{child(w, o).spare_check_id}/"), user_object(204),
              owners=NESTED, writes=True),
    Operation("GET nearby devices", "nearby_devices.nearby_devices", "GET",
              lambda w, o, r: device_url(w, o, "nearby-devices/"), nearby, check=check_nearby, accepts_key=True,
              visible=lambda role, owner: "AB" if role == "superuser" else owner),
    Operation("GET geojson", "geojson.locations_geojson", "GET",
              lambda w, o, r: "/api/v1/monitoring/geojson/" + DEVICE_LIST(w, o), filtered_list(400),
              owners=LISTS, check=check_geojson, invalid_filter="organization"),
    Operation("GET geojson by slug", "geojson.locations_geojson", "GET",
              lambda w, o, r: "/api/v1/monitoring/geojson/" + SLUG_FILTER(w, o), filtered_list(200),
              check=check_slug_geojson, visible=lambda role, owner: owner if owns(role, owner) else ""),
    Operation("GET location devices", "location_monitoring.location_devices", "GET",
              lambda w, o, r: f"/api/v1/monitoring/location/{w.tenants[o].indoor_id}/device/", user_object(),
              check=check_location_devices),
    Operation("GET indoor coordinates", "location_monitoring.indoor_coordinates", "GET",
              lambda w, o, r: f"/api/v1/monitoring/location/{w.tenants[o].indoor_id}/indoor-coordinates/",
              user_object(), check=check_indoor),
    Operation("GET wifi session list", "wifi_sessions.list_wifi_sessions", "GET",
              lambda w, o, r: "/api/v1/monitoring/wifi-session/" + org_filter("device__organization")(w, o),
              filtered_list(400), owners=LISTS, check=check_sessions, invalid_filter="device__organization"),
    Operation("GET wifi session list by device", "wifi_sessions.list_wifi_sessions", "GET",
              lambda w, o, r: f"/api/v1/monitoring/wifi-session/?device={w.tenants[o].primary.id}",
              filtered_list(400), check=check_device_sessions, invalid_filter="device"),
    Operation("GET wifi session", "wifi_sessions.get_wifi_session", "GET",
              lambda w, o, r: f"/api/v1/monitoring/wifi-session/{w.tenants[o].session_id}/", user_object(),
              check=check_session),
    Operation("GET maintenance window list", "maintenance.MaintenanceWindowList", "GET",
              lambda w, o, r: MAINTENANCE + DEVICE_LIST(w, o), filtered_list(400), owners=LISTS,
              check=check_window_list, invalid_filter="organization"),
    Operation("POST maintenance window", "maintenance.MaintenanceWindowList", "POST",
              lambda w, o, r: MAINTENANCE, creator(), body=lambda w, o: {
                  "organization": w.tenants[o].org_id, "name": "new", "duration": 5, "whole_organization": True},
              invalid_body=lambda w, o: {"organization": [f'Invalid pk "{w.tenants[o].org_id}" - object does not '
                                                          'exist.']}, writes=True),
    Operation("GET maintenance window", "maintenance.MaintenanceWindowDetail", "GET",
              lambda w, o, r: f"{MAINTENANCE}{w.tenants[o].window_id}/", user_object(), check=check_window),
    Operation("PUT maintenance window", "maintenance.MaintenanceWindowDetail", "PUT",
              lambda w, o, r: f"{MAINTENANCE}{w.tenants[o].window_id}/", user_object(), body=window_body,
              check=check_window, writes=True),
    Operation("PATCH maintenance window", "maintenance.MaintenanceWindowDetail", "PATCH",
              lambda w, o, r: f"{MAINTENANCE}{w.tenants[o].window_id}/", user_object(),
              body=lambda w, o: {"name": f"{w.tenants[o].name} upgrade"}, check=check_window, writes=True),
    Operation("DELETE maintenance window", "maintenance.MaintenanceWindowDetail", "DELETE",
              lambda w, o, r: f"{MAINTENANCE}{w.tenants[o].spare_window_id}/", user_object(204), writes=True),
    Operation("GET held notifications", "maintenance.held_notifications", "GET",
              lambda w, o, r: f"{MAINTENANCE}{w.tenants[o].window_id}/held-notification/", user_object(),
              check=check_held_notifications),
    Operation("GET notification list", "notifications.list_notifications", "GET",
              lambda w, o, r: NOTIFICATIONS, any_user, owners=(ALL,), check=check_notifications),
    Operation("POST notifications read", "notifications.mark_all_read", "POST",
              lambda w, o, r: NOTIFICATIONS + "read/", any_user, owners=(ALL,), check=check_marked_read,
              writes=True),
    Operation("GET notification", "notifications.Notification", "GET",
              lambda w, o, r: f"{NOTIFICATIONS}{notification_for(w, r, o)}/", own_notification,
              check=notification_check(unread=True)),
    Operation("PATCH notification", "notifications.Notification", "PATCH",
              lambda w, o, r: f"{NOTIFICATIONS}{notification_for(w, r, o)}/", own_notification,
              check=notification_check(unread=False), writes=True),
    Operation("GET webhook", "notifications.Webhook", "GET",
              lambda w, o, r: WEBHOOK.format(w.tenants[o].org_id), superusers(), check=check_webhook,
              denied=NO_PERMISSION),
    Operation("PUT webhook", "notifications.Webhook", "PUT",
              lambda w, o, r: WEBHOOK.format(w.tenants[o].org_id), superusers(),
              body=lambda w, o: {"url": w.tenants[o].webhook_url, "is_active": True}, check=check_webhook,
              denied=NO_PERMISSION, writes=True),
    Operation("POST webhook rotate-secret", "notifications.rotate_webhook_secret", "POST",
              lambda w, o, r: WEBHOOK.format(w.tenants[o].org_id) + "rotate-secret/", superusers(),
              check=check_rotated_secret, denied=NO_PERMISSION, writes=True),
    Operation("DELETE webhook", "notifications.Webhook", "DELETE",
              lambda w, o, r: WEBHOOK.format(w.tenants[o].org_id), superusers(204), denied=NO_PERMISSION,
              writes=True),
    Operation("GET email preference list", "notifications.list_email_preferences", "GET",
              lambda w, o, r: EMAIL_PREFERENCE, any_user, owners=(ALL,), check=check_email_preference_list,
              visible=lambda role, owner: "AB" if role == "superuser" else MEMBER_ORGS.get(role, "")),
    Operation("GET email preference", "notifications.EmailPreference", "GET",
              lambda w, o, r: f"{EMAIL_PREFERENCE}{w.tenants[o].org_id}/", belongs,
              check=email_preference_check("digest"), visible=lambda role, owner: owner),
    Operation("PUT email preference", "notifications.EmailPreference", "PUT",
              lambda w, o, r: f"{EMAIL_PREFERENCE}{w.tenants[o].org_id}/", belongs,
              body=lambda w, o: {"mode": "every"}, check=email_preference_check("every"),
              visible=lambda role, owner: owner, writes=True),
    Operation("GET email delivery list", "notifications.list_email_deliveries", "GET",
              lambda w, o, r: "/api/v1/notifications/email-delivery/", superusers(), owners=(ALL,),
              check=check_email_deliveries, denied=NO_PERMISSION),
]

CASES = [
    pytest.param(operation, role, owner, id=f"{operation.name} | {role} | {OWNER_IDS[owner]}")
    for operation in OPERATIONS for role in ROLES for owner in operation.owners
]


# --- the tests ----------------------------------------------------------------------------

def served_rules(app):
    return [(rule, method) for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIXES)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def test_every_monitoring_operation_is_in_the_matrix(app, client):
    served = served_rules(app)
    covered = {(operation.endpoint, operation.method) for operation in OPERATIONS}
    endpoints = {(rule.endpoint, method) for rule, method in served}
    assert endpoints - covered == set(), "operations missing from the matrix"
    assert covered - endpoints == set(), "operations of the matrix no longer served"
    # The OpenAPI document lists the same operations ("<converter:pk>" is "{pk}" there).
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    documented = {(path, method.upper()) for path, item in paths.items() if path.startswith(PREFIXES)
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    assert documented == {(re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method) for rule, method in served}


def leaks(world: World, body: str, visible: str) -> list[str]:
    lowered = body.lower()
    return sorted(token for tenant in world.tenants.values() if tenant.letter not in visible
                  for token in tenant.tokens if token in lowered)


def visible_orgs(operation: Operation, role: str, owner: str, status: int) -> str:
    if status == 400 and operation.invalid_body is not None:
        return ROLE_ORGS[role] + owner  # it names the id the caller sent, and only that (checked exactly)
    if status >= 300:
        return ROLE_ORGS[role]
    if operation.visible is not None:
        return operation.visible(role, owner)
    return scope(role, owner)


def run_case(app, client, world: World, operation: Operation, role: str, owner: str) -> None:
    path = operation.path(world, owner, role)
    assert app.url_map.bind("localhost").match(path.split("?")[0], method=operation.method)[0] == (
        operation.endpoint)
    if role in world.keys:
        path = with_query(path, f"key={world.keys[role]}")
    body = operation.body(world, owner if owner != MIXED else "A") if operation.body else None
    try:
        response = client.open(path, method=operation.method, headers=world.headers[role], json=body)
    finally:
        if operation.writes:
            restore(world)
    expected = operation.expected(role, owner)
    text_body = response.get_data(as_text=True)
    assert response.status_code == expected, text_body

    leaked = leaks(world, text_body, visible_orgs(operation, role, owner, response.status_code))
    assert leaked == [], f"another organization's data in the answer: {leaked}"

    json_body = response.get_json(silent=True)
    if expected == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert json_body == {"detail": INVALID_TOKEN if role == "revoked_token" else NOT_AUTHENTICATED}
    elif expected == 403:
        keyed = operation.accepts_key and role in KEY_ROLES
        assert json_body == {"detail": NOT_AUTHENTICATED if keyed else operation.denied}
    elif expected == 400 and operation.invalid_body is not None:
        assert json_body == operation.invalid_body(world, owner)
    elif expected == 400:
        assert json_body == {operation.invalid_filter: [INVALID_CHOICE]}
    elif expected == 404:
        assert set(json_body) == {"detail"}
    elif operation.check is not None:
        operation.check(world, role, owner, response if operation.csv else json_body)


@pytest.mark.parametrize(("operation", "role", "owner"), CASES)
def test_matrix(app, client, app_context, world, operation, role, owner):
    run_case(app, client, world, operation, role, owner)


@pytest.mark.parametrize("role", [role for role in ROLES if role not in NO_USER])
@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_a_notification_is_only_its_recipients(client, app_context, world, role, method):
    """Every copy of every organization's notification that is not the caller's is 404,
    to the superuser as to anyone."""
    own = {notification_for(world, role, owner) for owner in ROLE_ORGS[role]}
    others = [row_id for tenant in world.tenants.values() for row_id in tenant.notification_ids.values()
              if row_id not in own]
    try:
        for row_id in others:
            response = client.open(f"{NOTIFICATIONS}{row_id}/", method=method, headers=world.headers[role])
            assert response.status_code == 404, (row_id, response.get_json())
    finally:
        restore(world)


def test_the_writes_of_the_matrix_left_the_world_as_it_was(app, client, app_context, world):
    """The write cases (a resent sample, checks created and deleted, notifications read,
    webhooks set and removed) were undone: every read answers as it did before them."""
    reads = [operation for operation in OPERATIONS if operation.method == "GET"]
    for operation in reads:
        for role in ("superuser", "manager_a", "key_b"):
            for owner in operation.owners:
                run_case(app, client, world, operation, role, owner)
