"""A device's active checks: the API's list, create, read, change and delete (each check
shown with its latest result, ``checks.results``), and the checks every device gets
automatically (docs/metrics.md §5.6).

Disabling or deleting a critical check (ping, data collected) makes the device's status
``unknown`` with its metrics reset: what the check said no longer holds (§5.5).
"""
from __future__ import annotations

import uuid

from flask import current_app
from jsonschema import Draft7Validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import Check, Device, DeviceMonitoring, User
from monitoring.pagination import paginate
from monitoring.registry import CHECK_TYPES, CRITICAL_CHECK_TYPES
from monitoring.services.checks import results
from monitoring.services.checks.results import CheckView
from monitoring.services.common import commit, get_managed
from monitoring.services.health import status_changes

LABEL = "Check"
DUPLICATE_NAME = {"name": ["This device already has a check with this name."]}


def _device(user: User, device_id: uuid.UUID) -> Device:
    return get_managed(Device, device_id, user=user, label="Device")


def _view(check: Check) -> CheckView:
    [view] = results.views([check], db.session.get(Device, check.device_id))
    return view


def list_page(*, user: User, device_id: uuid.UUID, page=None, page_size=None) -> dict:
    device = _device(user, device_id)
    statement = select(Check).where(Check.device_id == device_id).order_by(Check.name, Check.id)
    listing = paginate(statement, page=page, page_size=page_size)
    listing["results"] = results.views(listing["results"], device)
    return listing


def _get(user: User, device_id: uuid.UUID, check_id: uuid.UUID) -> Check:
    _device(user, device_id)
    check = db.session.get(Check, check_id)
    if check is None or check.device_id != device_id:
        errors.not_found(LABEL)
    return check


def get(*, user: User, device_id: uuid.UUID, check_id: uuid.UUID) -> CheckView:
    return _view(_get(user, device_id, check_id))


def params_error(check_type: str, params) -> str | None:
    """The reference's message for invalid parameters, or None: ``Invalid param in "count":
    1 is less than the minimum of 2``."""
    validator = Draft7Validator(CHECK_TYPES[check_type].params_schema)
    error = min(validator.iter_errors(params), key=lambda e: list(e.path), default=None)
    if error is None:
        return None
    path = ".".join(str(part) for part in error.path)
    return "Invalid param" + (f' in "{path}"' if path else "") + f": {error.message}"


def _check_params(check_type: str, params) -> None:
    message = params_error(check_type, params)
    if message is not None:
        errors.invalid({"params": [message]})


def _check_unique(device_id: uuid.UUID, *, name: str | None = None, check_type: str | None = None,
                  exclude: uuid.UUID | None = None) -> None:
    problems = {}
    for field, column, value, message in (
        ("name", Check.name, name, DUPLICATE_NAME["name"][0]),
        ("check_type", Check.check_type, check_type, "This device already has a check of this type."),
    ):
        if value is None:
            continue
        statement = select(Check.id).where(Check.device_id == device_id, column == value)
        if exclude is not None:
            statement = statement.where(Check.id != exclude)
        if db.session.execute(statement).first():
            problems[field] = [message]
    if problems:
        errors.invalid(problems)


def create(*, user: User, device_id: uuid.UUID, data: dict) -> CheckView:
    _device(user, device_id)
    check_type = data["check_type"]
    params = data.get("params") or {}
    _check_params(check_type, params)
    name = data.get("name") or CHECK_TYPES[check_type].label
    _check_unique(device_id, name=name, check_type=check_type)
    check = Check(device_id=device_id, name=name, check_type=check_type, is_active=data.get("is_active", True),
                  params=params)
    db.session.add(check)
    commit(DUPLICATE_NAME)
    return _view(check)


def update(*, user: User, device_id: uuid.UUID, check_id: uuid.UUID, data: dict) -> CheckView:
    check = _get(user, device_id, check_id)
    if "check_type" in data and data["check_type"] != check.check_type:
        errors.invalid({"check_type": ["The type of a check cannot be changed: create another check."]})
    if "params" in data:
        data["params"] = data["params"] or {}
        _check_params(check.check_type, data["params"])
    if data.get("name"):
        _check_unique(device_id, name=data["name"], exclude=check.id)
    else:
        data.pop("name", None)
    disabled = check.is_active and data.get("is_active") is False
    for name in ("name", "is_active", "params"):
        if name in data:
            setattr(check, name, data[name])
    if disabled and check.check_type in CRITICAL_CHECK_TYPES:
        status_changes.set_status(db.session, device_ids=[device_id], status="unknown")
    commit(DUPLICATE_NAME)
    return _view(check)


def delete(*, user: User, device_id: uuid.UUID, check_id: uuid.UUID) -> None:
    check = _get(user, device_id, check_id)
    critical = check.check_type in CRITICAL_CHECK_TYPES
    db.session.delete(check)
    if critical:
        status_changes.set_status(db.session, device_ids=[device_id], status="unknown")
    db.session.commit()


# --- automatic checks -------------------------------------------------------------------

def automatic_types() -> list[str]:
    """The check types every device gets, per settings (ping and data collected by default)."""
    return [name for name, check in CHECK_TYPES.items() if current_app.config[check.auto_setting]]


def create_automatic(session: Session, *, device_ids: list[uuid.UUID]) -> int:
    """Give these devices their automatic checks, once: a device that has them (or had
    them, and deleted some since) is marked and never gets them again. Does not commit;
    returns how many checks were created."""
    if not device_ids:
        return 0
    rows = [{"id": uuid.uuid4(), "device_id": device_id, "name": CHECK_TYPES[name].label, "check_type": name,
             "is_active": True, "params": {}}
            for device_id in device_ids for name in automatic_types()]
    created = 0
    if rows:
        result = session.execute(insert(Check).values(rows).on_conflict_do_nothing())
        created = max(result.rowcount, 0)
    session.execute(
        DeviceMonitoring.__table__.update()
        .where(DeviceMonitoring.device_id.in_(device_ids))
        .values(checks_created=True)
    )
    return created


def ensure_automatic(session: Session, *, limit: int = 1000) -> int:
    """Automatic checks for devices that never got them (e.g. created before checks
    existed); commits per batch. Returns how many checks were created."""
    created = 0
    while True:
        device_ids = list(session.scalars(
            select(DeviceMonitoring.device_id).where(DeviceMonitoring.checks_created.is_(False))
            .order_by(DeviceMonitoring.device_id).limit(limit).with_for_update(skip_locked=True)
        ))
        if not device_ids:
            session.commit()
            return created
        created += create_automatic(session, device_ids=device_ids)
        session.commit()
