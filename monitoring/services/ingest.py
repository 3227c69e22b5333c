"""Receiving a device's NetJSON DeviceMonitoring sample (spec api.md §4, §6).

The checks run in the reference's order: device (404), key (403), deactivated (404), body
(415/413/400), schema (400), ``time`` (400). Then everything the sample produces is written
in one transaction: the snapshot, the points, the metric rows, the WiFi sessions and the
health changes. The caller answers 200 only after the commit, so an acknowledged sample is
never lost; any failure rolls the whole sample back.
"""
from __future__ import annotations

import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from monitoring import errors, netjson
from monitoring.extensions import db
from monitoring.models import Device, DeviceData, DeviceLocation, DeviceMonitoring, Organization, utcnow
from monitoring.services import health, sample_points
from monitoring.services.metrics import ensure_metrics
from monitoring.services.wifi_sessions import update_sessions
from monitoring.timeseries import writes

TIME_FORMAT = "%d-%m-%Y_%H:%M:%S.%f"
JSON_TYPES = ("application/json",)


@dataclass(frozen=True)
class SampleDevice:
    """What writing a sample needs to know about its device, read in one query."""

    id: uuid.UUID
    key: str
    is_deactivated: bool
    organization_id: uuid.UUID
    location_id: uuid.UUID | None
    floorplan_id: uuid.UUID | None

    @property
    def dashboard_tags(self) -> dict:
        """Organization, location and floorplan as they are now: stored on dashboard points."""
        return {"organization_id": self.organization_id, "location_id": self.location_id,
                "floorplan_id": self.floorplan_id}


def authorised_device(*, device_id: uuid.UUID, key: str | None) -> SampleDevice:
    """The device the key opens; 404 for a missing device or a disabled organization, 403
    for a wrong key, 404 for a deactivated device."""
    row = db.session.execute(
        select(Device.id, Device.key, Device.is_deactivated, Device.organization_id,
               DeviceLocation.location_id, DeviceLocation.floorplan_id)
        .join(Organization, Organization.id == Device.organization_id)
        .outerjoin(DeviceLocation, DeviceLocation.device_id == Device.id)
        .where(Device.id == device_id, Organization.is_active.is_(True))
    ).one_or_none()
    device = SampleDevice(*row) if row is not None else None
    if device is None:
        errors.not_found("Device")
    # Constant-time comparison: response timing must not reveal how much of a key matched.
    if not key or not hmac.compare_digest(key.encode(), device.key.encode()):
        abort(403, message=errors.NOT_AUTHENTICATED)
    if device.is_deactivated:
        errors.not_found()
    return device


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON value")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    document = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"duplicate key {key!r}")
        document[key] = value
    return document


def parse_body(raw: bytes, *, mimetype: str) -> Any:
    """The JSON body; strict: no NaN/Infinity, no duplicate keys, UTF-8 only."""
    if not raw.strip():
        return {}  # an empty body is an empty document, which the schema then rejects
    if mimetype not in JSON_TYPES:
        abort(415, message=f'Unsupported media type "{mimetype}" in request.')
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constants, object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        detail = "JSON parse error - the body is not valid UTF-8"
    except RecursionError:
        detail = "JSON parse error - the document is nested too deeply"
    except ValueError as exc:  # JSONDecodeError is a ValueError
        detail = f"JSON parse error - {exc}"
    abort(400, message=detail)


def read_body(stream, *, content_length: int | None) -> bytes:
    limit = current_app.config["DEVICE_DATA_MAX_BYTES"]
    if content_length is not None and content_length > limit:
        abort(413, message=f"Request body larger than {limit} bytes.")
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        abort(413, message=f"Request body larger than {limit} bytes.")
    return raw


def parse_time(raw: str | None) -> datetime | None:
    """``DD-MM-YYYY_HH:MM:SS.ffffff`` in UTC; absent means now. Fractional seconds are
    mandatory; an empty value is a bad format."""
    if raw is None:
        return None
    try:
        return datetime.strptime(raw, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        abort(400, message="Incorrect time format")


def validate(document: Any) -> None:
    message = netjson.validation_error(document)
    if message is not None:
        abort(400, body=message)  # the reference answers a bare JSON string here


def store_sample(*, device: SampleDevice, document: dict, time: datetime | None, current: bool) -> int:
    """Write everything a validated sample produces, in one transaction; returns the number
    of new points."""
    session = db.session
    now = utcnow()
    sample_time = time or now
    # Samples of one device are written one at a time (the status row is locked until
    # commit): counter increments depend on the previous sample, health on the stored flags.
    monitoring = session.execute(
        select(DeviceMonitoring).where(DeviceMonitoring.device_id == device.id).with_for_update()
    ).scalar_one()
    snapshot = session.execute(
        select(DeviceData.data, DeviceData.sample_time).where(DeviceData.device_id == device.id)
    ).one_or_none()
    is_latest = snapshot is None or time is None or current or sample_time >= snapshot.sample_time
    transformed = netjson.transform(document)
    if is_latest:
        previous_counters = sample_points.counters_of(snapshot.data if snapshot else None)
    else:
        previous_counters = writes.counters_before(session, device_id=device.id, time=sample_time)
    points = sample_points.extract(
        transformed, device_id=device.id, time=sample_time,
        previous_counters=previous_counters, dashboard_tags=device.dashboard_tags,
    )
    metrics = ensure_metrics(session, device_id=device.id, names=points.metric_names)
    inserted = writes.insert_points(session, points.rows)
    if is_latest:
        statement = insert(DeviceData).values(
            device_id=device.id, data=transformed, sample_time=sample_time, received_at=now
        )
        session.execute(statement.on_conflict_do_update(
            index_elements=["device_id"],
            set_={"data": statement.excluded.data, "sample_time": statement.excluded.sample_time,
                  "received_at": statement.excluded.received_at},
        ))
        if current_app.config["WIFI_SESSIONS_ENABLED"]:
            update_sessions(session, device_id=device.id, document=transformed, now=now)
    if not health.is_historical(sample_time, now=now) and health.evaluate(metrics, points.alert_values):
        health.update_device_status(monitoring, list(metrics.values()))
    session.commit()
    return inserted


def receive(*, device_id: uuid.UUID, key: str | None, stream, content_length: int | None,
            mimetype: str, time: str | None, current: str | None) -> int:
    """The whole device POST, in the reference's validation order."""
    device = authorised_device(device_id=device_id, key=key)
    document = parse_body(read_body(stream, content_length=content_length), mimetype=mimetype)
    validate(document)
    sample_time = parse_time(time)
    return store_sample(device=device, document=document, time=sample_time, current=_truthy(current))


def _truthy(value: str | None) -> bool:
    """Decision 2 of the spec README: true/1/yes/on and false/0/no/off; any other non-empty
    value is true, an empty one absent."""
    if value is None or value == "":
        return False
    return value.strip().lower() not in ("false", "0", "no", "off")
