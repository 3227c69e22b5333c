"""Running the active checks (docs/metrics.md §5.6) and judging their results.

A run loads every active check of every active device in one query, measures per check
type in bulk (one fping process per batch of addresses; one query for data collected; one
for WiFi clients), then records the results in chunks of devices: the points, then, per
device, under the lock a device sample also takes, what ``judging.judge`` makes of them
(the health flags, with the tolerance looking back at the stored points, notifications,
closed WiFi sessions, the device status): the function a device sample calls too, writing
through the same ``sample_store`` batch, so both paths judge and write health alike.
"""
from __future__ import annotations

import ipaddress
import logging
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, text

from monitoring.database import begin_transaction
from monitoring.extensions import db
from monitoring.models import Check, Device, DeviceMonitoring, Metric, Organization, utcnow
from monitoring.registry import CRITICAL_CHECK_TYPES, METRICS, PING_DEFAULTS
from monitoring.services.checks import fping, snooze
from monitoring.services.health import judging, status_changes
from monitoring.timeseries import check_store, sample_store

logger = logging.getLogger(__name__)

# Devices whose results are recorded per transaction: their samples wait for it.
CHUNK = 100
SKIP_WIFI_CLIENTS = frozenset({"unknown", "critical"})


@dataclass(frozen=True)
class CheckedDevice:
    """What recording a check's results needs to know about its device (a
    ``judging.JudgedDevice``)."""

    id: uuid.UUID
    name: str
    organization_id: uuid.UUID


@dataclass(frozen=True)
class Target:
    """An active check with what running it needs to know about its device."""

    check_type: str
    params: dict
    device: CheckedDevice
    status: str
    address: str | None  # what the ping check pings (``ping_address``)


@dataclass
class Result:
    device: CheckedDevice
    configuration: str  # the metric written
    value: float  # its alert field's value
    table: str
    row: dict  # the point (time and device included)

    @property
    def at(self) -> datetime:
        return self.row["time"]


@dataclass
class RunSummary:
    checks: int = 0
    points: int = 0
    changes: int = 0
    notifications: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    skipped: int = 0  # ping checks of devices without an address to ping, or outside the allowed networks

    def __str__(self) -> str:
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.statuses.items())) or "none"
        return (f"{self.checks} checks ({self.skipped} not pinged: no address, or not an allowed one), "
                f"{self.points} points, "
                f"{self.changes} health changes, "
                f"{self.notifications} notifications, status changes: {statuses}, {self.errors} errors")


def load_targets(*, check_types: tuple[str, ...] | None = None,
                 device_ids: list[uuid.UUID] | None = None) -> list[Target]:
    """Active checks of devices that are neither deactivated nor in a disabled organization
    (checks of those are skipped, as the reference's ``perform_check`` does)."""
    statement = (
        select(Check.check_type, Check.params, Device.id, Device.name, Device.organization_id,
               Device.management_ip, Device.last_ip, DeviceMonitoring.status)
        .join(Device, Device.id == Check.device_id)
        .join(Organization, Organization.id == Device.organization_id)
        .join(DeviceMonitoring, DeviceMonitoring.device_id == Device.id)
        .where(Check.is_active.is_(True), Device.is_deactivated.is_(False), Organization.is_active.is_(True))
        .order_by(Device.id)
    )
    if check_types is not None:
        statement = statement.where(Check.check_type.in_(check_types))
    if device_ids is not None:
        statement = statement.where(Device.id.in_(device_ids))
    targets = []
    for check_type, params, device_id, name, organization_id, management_ip, last_ip, status in (
        db.session.execute(statement)
    ):
        device = CheckedDevice(id=device_id, name=name, organization_id=organization_id)
        targets.append(Target(check_type, params or {}, device, status, ping_address(management_ip, last_ip)))
    db.session.commit()  # nothing to keep locked while measuring
    return targets


# --- measuring ------------------------------------------------------------------------

def device_address(management_ip: str | None, last_ip: str | None) -> str | None:
    """The address to ping a device at: the management IP, or, when ``MANAGEMENT_IP_ONLY``
    is off, the last IP the device sent from; None when there is none."""
    address = management_ip or (None if current_app.config["MANAGEMENT_IP_ONLY"] else last_ip)
    return fping.normalise(address) if address else None


def may_ping(address: str) -> bool:
    """Whether ``address`` lies in ``PING_ALLOWED_NETWORKS`` (any address when none is set).
    An IPv4-mapped IPv6 address is judged as the IPv4 address it reaches."""
    networks = current_app.config["PING_ALLOWED_NETWORKS"]
    if not networks:
        return True
    ip = ipaddress.ip_address(address)
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return any(ip in network for network in networks)


def ping_address(management_ip: str | None, last_ip: str | None) -> str | None:
    """The address the ping check pings; None when the device has none or it lies outside
    the networks that may be pinged (the device is then not pinged at all)."""
    address = device_address(management_ip, last_ip)
    return address if address is not None and may_ping(address) else None


def ping_params(params: dict) -> dict:
    """The check's parameters over the configured defaults over the reference's."""
    return {**PING_DEFAULTS, **current_app.config["PING_CHECK_CONFIG"], **params}


def measure_ping(targets: list[Target], summary: RunSummary) -> list[Result]:
    """One fping process per batch of addresses with the same parameters; the batches run
    side by side. A device without an address (or with one outside PING_ALLOWED_NETWORKS)
    is not pinged at all: no point, its health untouched. (The reference stores it as
    unreachable, which makes every device behind NAT a problem; ``data_collected`` is what
    notices such a device going silent.)"""
    config = current_app.config
    results: list[Result] = []
    by_params: dict[tuple, dict[str, list[Target]]] = defaultdict(lambda: defaultdict(list))
    for target in targets:
        if target.address is None:
            summary.skipped += 1
            continue
        by_params[tuple(sorted(ping_params(target.params).items()))][target.address].append(target)

    batches = []
    for params, by_address in by_params.items():
        addresses = sorted(by_address)
        size = config["PING_CHECK_BATCH_SIZE"]
        batches += [(dict(params), by_address, addresses[i:i + size]) for i in range(0, len(addresses), size)]

    def run(batch):
        params, by_address, addresses = batch
        try:
            answers = fping.ping(addresses, count=params["count"], interval=params["interval"], size=params["bytes"],
                                 timeout=params["timeout"], executable=config["FPING_PATH"],
                                 min_interval=config["PING_CHECK_MIN_INTERVAL_MS"])
        except fping.FpingError:
            logger.exception("ping check: fping failed for %d addresses", len(addresses))
            summary.errors += 1
            return []
        at = utcnow()
        return [_ping_result(target.device, answer, at)
                for address, answer in answers.items() for target in by_address[address]]

    with ThreadPoolExecutor(max_workers=max(1, config["PING_CHECK_PROCESSES"])) as pool:
        for batch_results in pool.map(run, batches):
            results += batch_results
    return results


def _ping_result(device: CheckedDevice, answer: fping.PingResult, at: datetime) -> Result:
    row = {"time": at, "device_id": device.id, "reachable": answer.reachable, "loss": answer.loss,
           "rtt_min": answer.rtt_min, "rtt_avg": answer.rtt_avg, "rtt_max": answer.rtt_max}
    return Result(device, "ping", answer.reachable, "ping_points", row)


def measure_data_collected(cursor, targets: list[Target]) -> list[Result]:
    """1 if the device's latest sample arrived within the configured interval, else 0."""
    if not targets:
        return []
    now = utcnow()
    since = now - timedelta(minutes=current_app.config["DATA_COLLECTED_CHECK_INTERVAL"])
    received = check_store.last_received(cursor, [t.device.id for t in targets])
    results = []
    for target in targets:
        value = int(received.get(target.device.id, since - timedelta(seconds=1)) >= since)
        row = {"time": now, "device_id": target.device.id, "data_collected": value}
        results.append(Result(target.device, "data_collected", value, "data_collected_points", row))
    return results


def measure_wifi_clients(cursor, targets: list[Target]) -> list[Result]:
    """Distinct clients over the last few minutes (judged against the maximum) and over the
    last days (against the minimum). Skipped while the status is unknown or critical."""
    targets = [t for t in targets if t.status not in SKIP_WIFI_CLIENTS]
    if not targets:
        return []
    config = current_app.config
    now = utcnow()
    counts = check_store.wifi_client_counts(
        cursor, [t.device.id for t in targets], now=now,
        max_window=timedelta(minutes=config["WIFI_CLIENTS_MAX_CHECK_INTERVAL"]),
        min_window=timedelta(minutes=config["WIFI_CLIENTS_MIN_CHECK_INTERVAL"]),
    )
    results = []
    for target in targets:
        most, least = counts.get(target.device.id, (0, 0))
        row = {"time": now, "device_id": target.device.id, "clients_max": most, "clients_min": least}
        results.append(Result(target.device, "wifi_clients_max", most, "wifi_client_count_points", row))
        results.append(Result(target.device, "wifi_clients_min", least, "wifi_client_count_points", row))
    return results


# --- recording ------------------------------------------------------------------------

def record(connection, results: list[Result], summary: RunSummary) -> None:
    """Store the points and judge them, one transaction per chunk of devices."""
    by_device: dict[uuid.UUID, list[Result]] = defaultdict(list)
    for result in results:
        by_device[result.device.id].append(result)
    device_ids = sorted(by_device)
    cursor = connection.cursor()
    try:
        for start in range(0, len(device_ids), CHUNK):
            chunk = device_ids[start:start + CHUNK]
            begin_transaction(cursor, connection.info)
            statuses = check_store.lock_statuses(cursor, chunk)
            live = [d for d in chunk if d in statuses and statuses[d] != "deactivated"]
            rows_by_table: dict[str, dict] = defaultdict(dict)
            for device_id in live:
                for result in by_device[device_id]:
                    # Both WiFi-client metrics share one row.
                    rows_by_table[result.table][(device_id, result.at)] = result.row
            for table, rows in rows_by_table.items():
                check_store.insert_points(cursor, table, list(rows.values()))
                summary.points += len(rows)
            batch = sample_store.WriteBatch(cursor)
            for device_id in live:
                for at in {result.at for result in by_device[device_id]}:
                    batch.points_at(device_id, at)
                _judge(cursor, connection, batch, by_device[device_id], summary)
            batch.execute()
            connection.commit()
    except Exception:
        connection.rollback()
        raise
    finally:
        cursor.close()


def _judge(cursor, connection, batch: sample_store.WriteBatch, results: list[Result], summary: RunSummary) -> None:
    device = results[0].device
    state = sample_store.lock_device_state(cursor, device.id, connection.info)
    missing = {(r.configuration, ""): METRICS[r.configuration].label
               for r in results if (r.configuration, "") not in state.metrics}
    if missing:
        state.metrics.update(sample_store.create_metrics(
            cursor, device.id, missing, current_app.config["AUTO_CHARTS"], connection.info))
    verdict = judging.judge(cursor, batch, device=device, state=state, now=utcnow(), readings=[
        judging.Reading((result.configuration, ""), result.value, result.at) for result in results])
    summary.changes += verdict.changes
    summary.notifications += verdict.notifications
    if verdict.status is not None:
        summary.statuses[verdict.status] = summary.statuses.get(verdict.status, 0) + 1


# --- entry points -----------------------------------------------------------------------

def run_checks(*, check_types: tuple[str, ...] | None = None,
               device_ids: list[uuid.UUID] | None = None) -> RunSummary:
    """Run the active checks (of these types, of these devices) and record their results."""
    summary = RunSummary()
    targets = load_targets(check_types=check_types, device_ids=device_ids)
    if wifi_clients_snoozed():
        targets = [t for t in targets if t.check_type != "wifi_clients"]
    summary.checks = len(targets)
    by_type: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        by_type[target.check_type].append(target)
    results = measure_ping(by_type["ping"], summary) if by_type["ping"] else []
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        begin_transaction(cursor, connection.info)
        results += measure_data_collected(cursor, by_type["data_collected"])
        results += measure_wifi_clients(cursor, by_type["wifi_clients"])
        cursor.close()
        connection.commit()
        record(connection, results, summary)
    finally:
        connection.close()
    return summary


def wifi_clients_snoozed(now: datetime | None = None) -> bool:
    """Whether the WiFi clients checks sleep now (local time of ``TIME_ZONE``)."""
    schedule = current_app.config["WIFI_CLIENTS_CHECK_SNOOZE_SCHEDULE"]
    if not schedule:
        return False
    snooze.validate(schedule)
    local = (now or utcnow()).astimezone(ZoneInfo(current_app.config["TIME_ZONE"]))
    return snooze.is_snoozed(schedule, now=local)


def run_requested_checks(*, limit: int = 500) -> str | None:
    """Recovery detection (docs/metrics.md §5.5) for the devices that asked: a device still
    critical without critical checks becomes ``ok``; one with them becomes ``problem`` at
    once if its metrics no longer say critical, then its critical checks run and decide.
    What it did, or None when no device asked."""
    requested = list(db.session.scalars(text(
        """DELETE FROM check_requests WHERE device_id IN (
               SELECT device_id FROM check_requests ORDER BY requested_at LIMIT :limit FOR UPDATE SKIP LOCKED)
           RETURNING device_id"""
    ), {"limit": limit}))
    if not requested:
        db.session.commit()
        return None
    critical = list(db.session.scalars(
        select(DeviceMonitoring.device_id).where(DeviceMonitoring.device_id.in_(requested),
                                                 DeviceMonitoring.status == "critical")
    ))
    with_checks = set(db.session.scalars(
        select(Check.device_id).where(Check.device_id.in_(critical), Check.is_active.is_(True),
                                      Check.check_type.in_(CRITICAL_CHECK_TYPES))
    ))
    to_ok = [d for d in critical if d not in with_checks]
    to_problem = [d for d in with_checks if not _metrics_imply_critical(d)]
    status_changes.set_status(db.session, device_ids=to_ok, status="ok")
    status_changes.set_status(db.session, device_ids=to_problem, status="problem")
    db.session.commit()
    summary = run_checks(check_types=CRITICAL_CHECK_TYPES, device_ids=sorted(with_checks)) if with_checks else None
    return (f"{len(requested)} requests, {len(critical)} critical devices, {len(to_ok)} ok without critical "
            f"checks, {len(to_problem)} problem; checks: {summary or 'none'}")


def _metrics_imply_critical(device_id: uuid.UUID) -> bool:
    metrics = db.session.scalars(select(Metric).where(Metric.device_id == device_id)).all()
    return judging.device_status(metrics) == "critical"
