"""Relational tables: accounts and tenancy, devices and where they are.

Timeseries live in TimescaleDB hypertables defined by the migrations and queried from
``monitoring/timeseries``; they are not mapped here.
"""
from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, time

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from monitoring.extensions import db

HEALTH_STATUSES = ("unknown", "ok", "problem", "critical", "deactivated")
LOCATION_TYPES = ("outdoor", "indoor")


def utcnow() -> datetime:
    return datetime.now(UTC)


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    modified: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class Organization(TimestampMixin, db.Model):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(128))
    slug: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    first_name: Mapped[str] = mapped_column(String(150), default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(150), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    is_superuser: Mapped[bool] = mapped_column(default=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")
    date_joined: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_login: Mapped[datetime | None]

    # Loaded when used (a superuser's requests never need them); user lists load them in bulk.
    memberships: Mapped[list[OrganizationUser]] = relationship(back_populates="user", cascade="all, delete-orphan")


class OrganizationUser(db.Model):
    """A user's membership of an organization; ``is_admin`` makes the user its manager."""

    __tablename__ = "organization_users"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_admin: Mapped[bool] = mapped_column(default=False, server_default="false")
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(lazy="joined")


class ApiToken(db.Model):
    """A bearer token. Only a SHA-256 digest is stored: a leaked table reveals no token."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_used: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class DeviceGroup(TimestampMixin, db.Model):
    __tablename__ = "device_groups"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")


class Device(TimestampMixin, db.Model):
    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        UniqueConstraint("organization_id", "mac_address"),
        Index("ix_devices_name_id", "name", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("device_groups.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    mac_address: Mapped[str] = mapped_column(String(17))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    last_ip: Mapped[str | None] = mapped_column(String(45))
    management_ip: Mapped[str | None] = mapped_column(String(45))
    model: Mapped[str] = mapped_column(String(64), default="", server_default="")
    os: Mapped[str] = mapped_column(String(128), default="", server_default="")
    system: Mapped[str] = mapped_column(String(128), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    hardware_id: Mapped[str] = mapped_column(String(32), default="", server_default="")
    is_deactivated: Mapped[bool] = mapped_column(default=False, server_default="false")

    monitoring: Mapped[DeviceMonitoring] = relationship(
        back_populates="device", cascade="all, delete-orphan", lazy="joined", uselist=False
    )


class DeviceMonitoring(db.Model):
    """The device's health status; exactly one per device, created with it."""

    __tablename__ = "device_monitoring"
    __table_args__ = (
        CheckConstraint(
            "status IN ('unknown', 'ok', 'problem', 'critical', 'deactivated')", name="status"
        ),
    )

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default="unknown", server_default="unknown", index=True)
    modified: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())
    # Whether the automatic checks were created (a check deleted later stays deleted).
    checks_created: Mapped[bool] = mapped_column(default=False, server_default="false")

    device: Mapped[Device] = relationship(back_populates="monitoring")
    # Loaded in one query for a whole page of devices.
    unhealthy_metrics: Mapped[list[Metric]] = relationship(
        primaryjoin="and_(Metric.device_id == foreign(DeviceMonitoring.device_id), Metric.is_healthy.is_(False))",
        viewonly=True, lazy="selectin", order_by="Metric.name", uselist=True)

    @property
    def problems(self) -> list[Metric]:
        """The unhealthy metrics of a device in ``problem`` or ``critical``: why it is."""
        return self.unhealthy_metrics if self.status in ("problem", "critical") else []


class Location(TimestampMixin, db.Model):
    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint("type IN ('outdoor', 'indoor')", name="type"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(75))
    type: Mapped[str] = mapped_column(String(8), default="outdoor", server_default="outdoor")
    is_mobile: Mapped[bool] = mapped_column(default=False, server_default="false")
    address: Mapped[str] = mapped_column(String(256), default="", server_default="")
    # A GeoJSON Point is stored as two numbers; the nearby-devices index is built on them.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]


class FloorPlan(TimestampMixin, db.Model):
    __tablename__ = "floorplans"
    __table_args__ = (UniqueConstraint("location_id", "floor"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    floor: Mapped[int]
    image: Mapped[str | None] = mapped_column(String(256))


class DeviceLocation(db.Model):
    __tablename__ = "device_locations"

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    floorplan_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("floorplans.id", ondelete="SET NULL"), index=True
    )
    indoor: Mapped[str | None] = mapped_column(String(64))


# --- monitoring data -----------------------------------------------------------------

class DeviceData(db.Model):
    """The latest NetJSON DeviceMonitoring snapshot a device sent (after transformations)."""

    __tablename__ = "device_data"

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict] = mapped_column(JSONB)
    # The sample's own time (its ``time`` parameter, or when it arrived): a back-filled sample
    # older than this does not replace the snapshot.
    sample_time: Mapped[datetime]
    # The newest sample the device ever sent: the snapshot's, unless a sample sent as current
    # replaced it with an older one (its counters are then not the newest).
    newest_sample_time: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class Metric(db.Model):
    """One monitored quantity of a device (e.g. "wlan0 traffic", "CPU usage") with its
    health flags. Its points live in the hypertable of its measurement family."""

    __tablename__ = "metrics"
    __table_args__ = (UniqueConstraint("device_id", "configuration", "ifname"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    configuration: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(32))
    field_name: Mapped[str] = mapped_column(String(32))
    # The interface a metric belongs to, normalised ('' for device-wide metrics).
    ifname: Mapped[str] = mapped_column(String(64), default="", server_default="")
    is_healthy: Mapped[bool | None]
    is_healthy_tolerant: Mapped[bool | None]
    # While unhealthy: when it turned so, and the reading that crossed the threshold (null
    # when healthy, and for metrics unhealthy since before these were kept).
    unhealthy_since: Mapped[datetime | None]
    unhealthy_value: Mapped[float | None]
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    alert_settings: Mapped[AlertSettings | None] = relationship(
        cascade="all, delete-orphan", uselist=False, lazy="joined"
    )


class AlertSettings(db.Model):
    """Threshold settings of a metric; null custom values mean the registry default."""

    __tablename__ = "alert_settings"
    __table_args__ = (
        CheckConstraint("custom_operator IS NULL OR custom_operator IN ('<', '>')", name="operator"),
        CheckConstraint(
            "custom_tolerance IS NULL OR custom_tolerance BETWEEN 0 AND 10080", name="tolerance"
        ),
    )

    metric_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")
    custom_operator: Mapped[str | None] = mapped_column(String(1))
    custom_threshold: Mapped[float | None]
    custom_tolerance: Mapped[int | None]


class Chart(db.Model):
    __tablename__ = "charts"
    __table_args__ = (UniqueConstraint("metric_id", "configuration"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    metric_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    configuration: Mapped[str] = mapped_column(String(32))
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class WifiClient(db.Model):
    """A WiFi client as one organization's devices saw it last (vendor, capabilities), keyed
    by organization and MAC: what one tenant's devices report never changes what another
    tenant sees."""

    __tablename__ = "wifi_clients"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    mac_address: Mapped[str] = mapped_column(String(17), primary_key=True)
    vendor: Mapped[str | None] = mapped_column(String(200))
    ht: Mapped[bool | None]
    vht: Mapped[bool | None]
    he: Mapped[bool | None]
    wmm: Mapped[bool] = mapped_column(default=False, server_default="false")
    wds: Mapped[bool] = mapped_column(default=False, server_default="false")
    wps: Mapped[bool] = mapped_column(default=False, server_default="false")
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    modified: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())


class WifiSession(db.Model):
    """A client's stay on one access-point interface of a device; open while stop_time is null."""

    __tablename__ = "wifi_sessions"
    __table_args__ = (
        ForeignKeyConstraint(["organization_id", "wifi_client_id"],
                             ["wifi_clients.organization_id", "wifi_clients.mac_address"], ondelete="CASCADE",
                             name="fk_wifi_sessions_wifi_client"),
        Index("ix_wifi_sessions_device_start", "device_id", "start_time"),
        Index("ix_wifi_sessions_start", "start_time"),
        Index("ix_wifi_sessions_organization_start", "organization_id", text("start_time DESC"), text("id DESC")),
        Index(
            "ix_wifi_sessions_open", "device_id",
            postgresql_where=text("stop_time IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    # Always the device's organization: set by the database (triggers of migration 0003),
    # never by the application. Lists of a tenant's sessions read its index alone.
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), server_default=FetchedValue())
    wifi_client_id: Mapped[str] = mapped_column(String(17), index=True)  # the client's MAC
    ssid: Mapped[str | None] = mapped_column(String(32))
    interface_name: Mapped[str] = mapped_column(String(15))
    start_time: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    stop_time: Mapped[datetime | None]
    modified: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())


class Check(db.Model):
    """An active check of a device (ping, data collected, …), run by the worker."""

    __tablename__ = "checks"
    __table_args__ = (UniqueConstraint("device_id", "name"), UniqueConstraint("device_id", "check_type"))

    id: Mapped[uuid.UUID] = uuid_pk()
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    check_type: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")
    params: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    modified: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())


class Notification(db.Model):
    """A problem or recovery of a metric, one row per recipient (the organization's managers
    and every superuser)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient_time", "recipient_id", "timestamp"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    metric_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))  # e.g. cpu_problem, cpu_recovery
    level: Mapped[str] = mapped_column(String(16))  # warning (problem) or info (recovery)
    message: Mapped[str] = mapped_column(Text)
    unread: Mapped[bool] = mapped_column(default=True, server_default="true")
    timestamp: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class Event(db.Model):
    """Something that changed in an organization, for the live event stream; written by
    triggers (migration ``0018_events``), kept ``EVENTS_RETENTION_SECONDS``."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_organization_id", "organization_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSONB)
    created: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)


class CheckRequest(db.Model):
    """A device in ``critical`` status sent data: the worker runs its critical checks soon."""

    __tablename__ = "check_requests"

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


def new_webhook_secret() -> str:
    """256 random bits, as 64 hex digits: the key of a webhook's delivery signatures."""
    return secrets.token_hex(32)


class NotificationWebhook(db.Model):
    """Where an organization's notifications are POSTed as JSON, besides being stored."""

    __tablename__ = "notification_webhooks"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    # Signs every delivery (HMAC-SHA256): the receiver holds the same value. Stored as is,
    # since signing needs it; shown to superusers only.
    secret: Mapped[str] = mapped_column(String(64), default=new_webhook_secret)
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    modified: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())


class WebhookDelivery(db.Model):
    """The outbox: one notification event to POST to its organization's webhook. Rows are
    written by a trigger on ``notifications`` (migration 0006) and sent by the worker, so a
    slow or failing webhook never holds up the write that produced the event."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("uq_webhook_deliveries_event", "organization_id", "device_id", "metric_id", "type", "event_time",
              unique=True, postgresql_nulls_not_distinct=True),
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("next_attempt_at IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    metric_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    event_time: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # Null once delivered or given up on.
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


EMAIL_MODES = ("none", "every", "digest")
EMAIL_DELIVERY_STATES = ("pending", "sending", "sent", "failed", "skipped")


class EmailPreference(db.Model):
    """Which e-mails a user gets of an organization's notifications: ``none``, ``every``
    notification, or a ``digest``. No row: ``digest`` (the outbox trigger of migration
    0019 says so too)."""

    __tablename__ = "email_preferences"
    __table_args__ = (CheckConstraint("mode IN ('none', 'every', 'digest')", name="mode"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(16))
    modified: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())


class EmailDelivery(db.Model):
    """The e-mail outbox: one notification row (one recipient) to e-mail, written by a
    trigger on ``notifications`` (migration 0019) and sent by the worker, alone or with
    others in one message (a problem and its quick recovery, a digest), which then share
    ``message_id``."""

    __tablename__ = "email_deliveries"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name="state"),
        Index("ix_email_deliveries_due", "next_attempt_at", postgresql_where=text("next_attempt_at IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), unique=True
    )
    mode: Mapped[str] = mapped_column(String(16))  # the recipient's choice when it was written
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the worker looks at it next; null once sent, given up on or skipped.
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    notification: Mapped[Notification] = relationship(lazy="joined")


class WorkerJob(db.Model):
    """The last run of a periodic job, shared by every worker: a job started less than its
    period ago is not started again, whichever worker asks."""

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_duration_ms: Mapped[int | None]
    last_summary: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)


class BrowserSession(db.Model):
    """A browser session, kept on the server so that logging out ends it: the signed cookie
    only carries a random key, stored here as its SHA-256 digest."""

    __tablename__ = "browser_sessions"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    # SESSION_LIFETIME_SECONDS after login, whatever the cookie says.
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(db.Model):
    """Recent failed logins of one username from one address, of one username, or from one
    address. In the database so that every worker and host counts the same failures."""

    __tablename__ = "login_throttle"

    # "pair:<address> <username>", "user:<username>" or "addr:<address>"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(server_default=text("0"))
    last_failure_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # No attempt with this key is judged before then (a growing delay after many failures).
    locked_until: Mapped[datetime | None]


class KnownLoginAddress(db.Model):
    """An address a user has logged in from: a correct password from there is not held up by
    failures counted for the whole username or the whole address."""

    __tablename__ = "login_known_addresses"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_login_at: Mapped[datetime] = mapped_column(server_default=func.now())



# --- maintenance windows ---------------------------------------------------------------

class MaintenanceWindow(TimestampMixin, db.Model):
    """A period during which the problem and recovery notifications of the devices it covers
    are held back (their health is still judged, their data still stored): once from
    ``starts_at`` to ``ends_at``, or weekly on ``recurrence_days`` (ISO, 1 Monday … 7 Sunday)
    at ``recurrence_time`` in ``timezone`` for ``recurrence_minutes``, between ``starts_at``
    and ``ends_at`` (null: for ever). Whether it is open is the SQL function
    ``maintenance_window_open`` (migration 0016)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    recurrence_days: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))
    recurrence_time: Mapped[time | None]
    recurrence_minutes: Mapped[int | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    whole_organization: Mapped[bool] = mapped_column(default=False, server_default="false")

    targets: Mapped[list[MaintenanceWindowTarget]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", passive_deletes=True)

    def _target_ids(self, column: str) -> list[uuid.UUID]:
        return [getattr(t, column) for t in self.targets if getattr(t, column) is not None]

    @property
    def device_ids(self) -> list[uuid.UUID]:
        return self._target_ids("device_id")

    @property
    def group_ids(self) -> list[uuid.UUID]:
        return self._target_ids("group_id")

    @property
    def location_ids(self) -> list[uuid.UUID]:
        return self._target_ids("location_id")

    @property
    def recurrence(self) -> dict | None:
        """``days``, ``time`` and ``duration`` (minutes) of the weekly occurrences, or None."""
        if self.recurrence_days is None:
            return None
        return {"days": self.recurrence_days, "time": self.recurrence_time, "duration": self.recurrence_minutes}


class MaintenanceWindowTarget(db.Model):
    """One device, device group or location a window covers."""

    __tablename__ = "maintenance_window_targets"

    id: Mapped[uuid.UUID] = uuid_pk()
    window_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("maintenance_windows.id", ondelete="CASCADE"),
                                                 index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("device_groups.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))


class HeldNotification(db.Model):
    """A notification event a maintenance window held back, once per window that covered the
    device (written by the trigger of migration 0016). When the device leaves maintenance the
    worker releases it: ``sent`` says whether it was then sent (the device was still in that
    state) or dropped (the state changed again inside the window)."""

    __tablename__ = "held_notifications"
    __table_args__ = (
        Index("uq_held_notifications_event", "window_id", "device_id", "metric_id", "type", "event_time",
              unique=True, postgresql_nulls_not_distinct=True),
        Index("ix_held_notifications_unreleased", "device_id", postgresql_where=text("released_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Null once the window is deleted: the event may still have to be released.
    window_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("maintenance_windows.id", ondelete="SET NULL"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    metric_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    event_time: Mapped[datetime]
    released_at: Mapped[datetime | None]
    sent: Mapped[bool | None]


# Computed by the database when the row is read, with the functions of migration 0016.
MaintenanceWindow.is_open = column_property(func.maintenance_window_open(
    MaintenanceWindow.starts_at, MaintenanceWindow.ends_at, MaintenanceWindow.recurrence_days,
    MaintenanceWindow.recurrence_time, MaintenanceWindow.recurrence_minutes, MaintenanceWindow.timezone,
    func.now()))
DeviceMonitoring.in_maintenance = column_property(func.device_in_maintenance(DeviceMonitoring.device_id, func.now()))

# The hypertables share this metadata (migrations and test clean-up see them).
import monitoring.timeseries.chart_tables  # noqa: E402,F401
import monitoring.timeseries.check_tables  # noqa: E402,F401
import monitoring.timeseries.tables  # noqa: E402,F401
