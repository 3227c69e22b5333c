"""Receiving a device's NetJSON DeviceMonitoring sample (docs/api.md §4, §6).

The checks run in the reference's order: device (404), key (403), deactivated (404) — the
view judges the device ``begun_sample`` found against its key (``monitoring/auth.py``) —
then body (415/413/400), schema (400), ``time`` (400). Then everything the sample produces
is written in one transaction: the snapshot, the points, the metric rows, the WiFi sessions
and the health changes. The caller answers 200 only after the commit, so an acknowledged
sample is never lost; any failure rolls the whole sample back.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
from flask import current_app
from flask_smorest import abort

from monitoring import database, netjson
from monitoring.models import utcnow
from monitoring.services.health import judging
from monitoring.services.ingest import points as sample_points
from monitoring.services.ingest.session_plan import plan_sessions
from monitoring.timeseries import retention, sample_store
from monitoring.timeseries.sample_store import DeviceState, SampleDevice

TIME_FORMAT = "%d-%m-%Y_%H:%M:%S.%f"
JSON_TYPES = ("application/json",)


@dataclass(frozen=True)
class BegunSample:
    """A sample's connection, its transaction begun, with the device (None: not found) and
    the device's state, locked until the transaction ends."""

    connection: Any
    device: SampleDevice | None
    state: DeviceState | None


@contextmanager
def begun_sample(device_id: uuid.UUID) -> Iterator[BegunSample]:
    """A pooled DB-API connection of its own for one sample, rather than the ORM session
    (this is the busiest endpoint, and the session's bookkeeping cost more than the SQL),
    with the sample's transaction begun and the device and its state read: one round trip.
    The connection is in autocommit mode meanwhile (``sample_store.sample_transaction``);
    anything left uncommitted is rolled back.

    The pool hands out connections untested (``database.init_sample_engine``): when the
    database dropped this one (a restart, a failover), the first read fails before anything
    was written, and the sample begins again, once, on a new connection. The others in the
    pool are as old as this one, so they are let go too."""
    engine = database.sample_engine()
    for retry in (False, True):
        raw = engine.raw_connection()
        try:
            with sample_store.sample_transaction(raw):
                try:
                    found = begin(raw, device_id)
                except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
                    if retry or not engine.dialect.is_disconnect(error, raw.dbapi_connection, None):
                        raise
                    engine.dispose()
                    continue
                device, state = found or (None, None)
                yield BegunSample(raw, device, state)
                return
        finally:
            raw.close()


def begin(connection, device_id: uuid.UUID) -> tuple[SampleDevice, DeviceState] | None:
    """Begin a sample's transaction on ``connection`` (in autocommit mode) and read the
    device and its locked state; None: no such device in an active organization."""
    with connection.cursor() as cursor:
        return sample_store.begin_sample(cursor, device_id, connection.info)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON value")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    document = dict(pairs)  # in C; only an object with a repeated key is looked at again
    if len(document) < len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return document


def parse_body(raw: bytes, *, mimetype: str) -> tuple[Any, str, bool]:
    """The JSON body, its text, and whether a number in it may not fit a double; strict: no
    NaN/Infinity, no duplicate keys, UTF-8 only."""
    if not raw.strip():
        return {}, "", False  # an empty body is an empty document, which the schema then rejects
    if mimetype not in JSON_TYPES:
        abort(415, message=f'Unsupported media type "{mimetype}" in request.')
    numbers = netjson.NumberLiterals()
    try:
        text = raw.decode("utf-8")
        document = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_unique_keys,
                              parse_float=numbers.parse_float, parse_int=numbers.parse_int)
        return document, text, numbers.may_not_fit
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


def parse_time(raw: str | None, *, now: datetime) -> datetime | None:
    """``DD-MM-YYYY_HH:MM:SS.ffffff`` in UTC; absent means now. Fractional seconds are
    mandatory; an empty value is a bad format.

    The time must lie within the retention period and at most a few minutes ahead of the
    server's clock: any other year would create a chunk of its own, slowing every query,
    that retention drops at once or, in the future, never."""
    if raw is None:
        return None
    try:
        time = datetime.strptime(raw, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        abort(400, message="Incorrect time format")
    config = current_app.config
    retained = retention.sample_retention(config)
    ahead = timedelta(seconds=config["SAMPLE_TIME_MAX_AHEAD_SECONDS"])
    if not now - retained <= time <= now + ahead:
        abort(400, message=(
            f"Sample time out of the accepted window: from {(now - retained).strftime(TIME_FORMAT)} "
            f"(the retention period, {retained.days} days ago) to {(now + ahead).strftime(TIME_FORMAT)} "
            f"({_duration(ahead)} ahead of the server's clock), UTC."))
    return time


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"


def check_limits(document: dict) -> None:
    """Interfaces per sample and WiFi clients per interface and per sample within the
    configured limits (400 naming the limit): one device's key must not be able to make its
    own charts unreadable or fill the tables."""
    config = current_app.config
    interfaces = document.get("interfaces") or []
    if len(interfaces) > config["DEVICE_MAX_INTERFACES"]:
        abort(400, body=netjson.invalid_data(
            "interfaces", f"{len(interfaces)} interfaces are more than the limit of "
            f"{config['DEVICE_MAX_INTERFACES']} per sample (DEVICE_MAX_INTERFACES)"))
    total = 0
    for index, interface in enumerate(interfaces):
        clients = (interface.get("wireless") or {}).get("clients") or []
        if len(clients) > config["DEVICE_MAX_WIFI_CLIENTS"]:
            abort(400, body=netjson.invalid_data(
                f"interfaces/{index}/wireless/clients", f"{len(clients)} WiFi clients are more than the limit "
                f"of {config['DEVICE_MAX_WIFI_CLIENTS']} per interface (DEVICE_MAX_WIFI_CLIENTS)"))
        total += len(clients)
    if total > config["DEVICE_MAX_WIFI_CLIENTS_PER_SAMPLE"]:
        abort(400, body=netjson.invalid_data(
            "interfaces", f"{total} WiFi clients are more than the limit of "
            f"{config['DEVICE_MAX_WIFI_CLIENTS_PER_SAMPLE']} per sample (DEVICE_MAX_WIFI_CLIENTS_PER_SAMPLE)"))


def validate(document: Any, text: str, may_not_fit: bool) -> dict:
    """The document as it will be stored: schema-valid, every number a finite double (else
    400 naming the field), NULs and lone surrogates in strings replaced by U+FFFD.
    ``may_not_fit``: whether the parse found a number that may not fit a double."""
    message = netjson.validation_error(document, text) or (
        netjson.out_of_range_number(document) if may_not_fit else None)
    if message is not None:
        abort(400, body=message)  # the reference answers a bare JSON string here
    return netjson.replace_unstorable_characters(document, text)


def store_sample(connection, *, device: SampleDevice, state: DeviceState, document: dict,
                 time: datetime | None, current: bool) -> dict:
    """Write everything a validated sample produces and commit; returns the number of points
    per hypertable (resent points included, though the database skips them). The
    transaction, on ``connection``, was begun by :func:`begin`, which read ``device`` and
    its locked ``state``."""
    now = utcnow()
    sample_time = time or now
    with connection.cursor() as cursor:
        is_latest = (state.snapshot_time is None or time is None or current
                     or sample_time >= state.snapshot_time)
        transformed = netjson.transform(document, in_place=True)  # the request's own, just parsed
        points = sample_points.extract(
            transformed, device_id=device.id, time=sample_time,
            previous_counters=_previous_counters(cursor, device.id, state, sample_time),
            dashboard_tags=device.dashboard_tags,
        )
        missing = {key: name for key, name in points.metric_names.items() if key not in state.metrics}
        _check_metric_limit(len(state.metrics), len(missing))
        if missing:
            state.metrics.update(sample_store.create_metrics(
                cursor, device.id, missing, current_app.config["AUTO_CHARTS"], connection.info))

        batch = sample_store.WriteBatch(cursor)
        batch.points(points.rows)
        if state.newest_time is not None and sample_time < state.newest_time:
            _recount_successors(cursor, batch, device.id, sample_time, points.rows.get("traffic_points", []))
        if is_latest:
            batch.snapshot(device.id, transformed, sample_time, now)
            if current_app.config["WIFI_SESSIONS_ENABLED"]:
                plan = plan_sessions(device_id=device.id, organization_id=device.organization_id,
                                     document=transformed, open_sessions=state.open_sessions, at=sample_time,
                                     now=now)
                batch.wifi_clients(device.organization_id, plan.clients, now)
                batch.open_sessions(plan.new_sessions)
                batch.close_sessions(plan.ended_sessions, sample_time, now)
        if not judging.is_historical(sample_time, now=now):
            judging.judge(cursor, batch, device=device, state=state, now=now, readings=[
                judging.Reading(key, value, sample_time) for key, value in points.alert_values.items()])
        batch.points_at(device.id, sample_time)  # a late sample's hour is read raw until refreshed
        if state.status == "critical" and current_app.config["DEVICE_RECOVERY_DETECTION"]:
            batch.recovery_request(device.id, now)  # the worker runs its critical checks within seconds
        batch.execute(commit=True)
    return {table: len(rows) for table, rows in points.rows.items()}


def _previous_counters(cursor, device_id, state, sample_time: datetime) -> sample_points.Counters:
    """The counters a sample's traffic increments start from: those of the point just before
    it in time. The snapshot holds them when it is the newest sample and this one is newer;
    otherwise (a back-filled sample, or a snapshot that a sample sent as current made older
    than the newest) they are read from the stored points."""
    newest = state.newest_time
    if newest is None or (sample_time > newest and state.snapshot_time == newest):
        return sample_points.counters_by_ifname(state.snapshot_counters)
    return sample_store.counters_before(cursor, device_id, sample_time)


def _recount_successors(cursor, batch, device_id, sample_time: datetime, traffic_rows: list[dict]) -> None:
    """A sample back-filled between stored ones: the next point of each of its interfaces
    counted its increments from an older predecessor, and so would count the stretch twice.
    They are recounted from this sample's counters (and their hours read raw until the rollups
    are refreshed)."""
    successors = sample_store.counters_after(cursor, device_id, sample_time)
    for row in traffic_rows:
        successor = successors.get(row["ifname"])
        if successor is None:
            continue
        at, rx, tx = successor
        batch.traffic_increments(
            device_id, row["ifname"], at,
            None if row["rx_counter"] is None or rx is None else sample_points.increment(rx, row["rx_counter"]),
            None if row["tx_counter"] is None or tx is None else sample_points.increment(tx, row["tx_counter"]),
        )
        batch.points_at(device_id, at)


def _check_metric_limit(existing: int, new: int) -> None:
    limit = current_app.config["DEVICE_MAX_METRICS"]
    if new and existing + new > limit:
        abort(400, message=f"The sample would give the device {existing + new} metrics, more than the limit "
                           f"of {limit} (DEVICE_MAX_METRICS).")


def receive(sample: BegunSample, *, stream, content_length: int | None, mimetype: str, time: str | None,
            current: bool) -> dict:
    """The rest of the device POST once its key let the device in, in the reference's
    validation order, on the sample's connection."""
    document = validate(*parse_body(read_body(stream, content_length=content_length), mimetype=mimetype))
    check_limits(document)
    sample_time = parse_time(time, now=utcnow())
    return store_sample(sample.connection, device=sample.device, state=sample.state, document=document,
                        time=sample_time, current=current)
