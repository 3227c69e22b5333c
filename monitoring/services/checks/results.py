"""What each check of a device last did, as the checks API shows it: ``measured`` (when, and
what), ``skipped`` (and why) or ``pending`` (it has not run yet).

Nothing extra is stored for it: the measurement is the newest point of the check's metric,
and a skip is read from the device as it is now (its addresses, status, activation) with
the rules the worker applies (``checks.runs``). A skipped check still shows its last
measurement, if it ever made one: the device's health still reflects it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from monitoring.extensions import db
from monitoring.models import Check, Device, Organization
from monitoring.registry import ALERT_SOURCES, CHECK_TYPES
from monitoring.services.checks import runs
from monitoring.timeseries import check_store

MEASURED, SKIPPED, PENDING = "measured", "skipped", "pending"
RESULT_STATUSES = (MEASURED, SKIPPED, PENDING)

NOT_RUN = "The check has not run yet."
CHECK_DISABLED = "The check is disabled."
DEVICE_DEACTIVATED = "The device is deactivated: its checks do not run."
ORGANIZATION_DISABLED = "The device's organization is disabled: its checks do not run."
NO_MANAGEMENT_IP = "The device has no management IP: it is not pinged."
NO_ADDRESS = "The device has neither a management IP nor a last IP: it is not pinged."
ADDRESS_NOT_ALLOWED = "The device's address is outside the networks that may be pinged: it is not pinged."
WIFI_CLIENTS_SNOOZED = "The WiFi clients checks are snoozed at this time."
# Columns of a point that say where and when, not what was measured.
POINT_KEYS = ("time", "device_id")


@dataclass(frozen=True)
class CheckResult:
    status: str  # one of RESULT_STATUSES
    reason: str | None  # why it is skipped or pending
    time: datetime | None  # of the latest measurement
    values: dict | None  # what the latest measurement found, by stored column


@dataclass(frozen=True)
class CheckView:
    """A check as the API shows it."""

    id: uuid.UUID
    name: str
    check_type: str
    is_active: bool
    params: dict
    result: CheckResult


def views(checks: list[Check], device: Device) -> list[CheckView]:
    """The checks of ``device``, each with its latest result."""
    organization_active = db.session.get(Organization, device.organization_id).is_active
    return [
        CheckView(check.id, check.name, check.check_type, check.is_active, check.params,
                  _result(check, device, organization_active))
        for check in checks
    ]


def _result(check: Check, device: Device, organization_active: bool) -> CheckResult:
    table = ALERT_SOURCES[CHECK_TYPES[check.check_type].metrics[0]][0]
    point = check_store.latest_point(db.session, table, device.id)
    time = point["time"] if point else None
    values = {k: v for k, v in point.items() if k not in POINT_KEYS} if point else None
    reason = skip_reason(check, device, organization_active=organization_active)
    if reason is not None:
        return CheckResult(SKIPPED, reason, time, values)
    if point is None:
        return CheckResult(PENDING, NOT_RUN, None, None)
    return CheckResult(MEASURED, None, time, values)


def skip_reason(check: Check, device: Device, *, organization_active: bool) -> str | None:
    """Why the worker does not run this check now, or None if it does."""
    if not check.is_active:
        return CHECK_DISABLED
    if device.is_deactivated:
        return DEVICE_DEACTIVATED
    if not organization_active:
        return ORGANIZATION_DISABLED
    if check.check_type == "ping":
        address = runs.device_address(device.management_ip, device.last_ip)
        if address is None:
            return NO_MANAGEMENT_IP if current_app.config["MANAGEMENT_IP_ONLY"] else NO_ADDRESS
        if not runs.may_ping(address):
            return ADDRESS_NOT_ALLOWED
    if check.check_type == "wifi_clients":
        status = device.monitoring.status
        if status in runs.SKIP_WIFI_CLIENTS:
            return f"WiFi clients are not counted while the device's status is {status}."
        if runs.wifi_clients_snoozed():
            return WIFI_CLIENTS_SNOOZED
    return None
