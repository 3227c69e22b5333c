"""Reading and pruning the WiFi sessions that device samples record (docs/api.md §9).

Sessions are planned by ``wifi_sessions.plan_sessions`` and written with each sample; here they are
listed (newest first), read one by one, and deleted once old.
"""
from __future__ import annotations

import operator
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, exists, select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import Device, DeviceGroup, Organization, User, WifiClient, WifiSession, utcnow
from monitoring.pagination import paginate
from monitoring.services import filter_choices
from monitoring.tenancy import manages, scoped

LABEL = "WifiSession"
LOOKUPS = {"": operator.eq, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
TIME_FILTERS = {
    f"{column}__{lookup}" if lookup else column: (column, compare)
    for column in ("start_time", "stop_time")
    for lookup, compare in LOOKUPS.items()
}


def list_page(*, user: User, page=None, page_size=None, device__organization: uuid.UUID | None = None,
              device: uuid.UUID | None = None, device__group: uuid.UUID | None = None,
              stop_time__isnull: bool | None = None, **time_filters: datetime) -> dict:
    """One page of sessions, newest first. ``time_filters`` are ``start_time`` and
    ``stop_time`` with the lookups ``__gt``, ``__gte``, ``__lt``, ``__lte`` (none: equal)."""
    sessions = scoped(select(WifiSession), WifiSession.organization_id, user)
    if device__organization is not None:
        filter_choices.check_organization(device__organization, user=user, field="device__organization")
        sessions = sessions.where(WifiSession.organization_id == device__organization)
    if device is not None:
        filter_choices.check_owned(Device, device, user=user, field="device")
        sessions = sessions.where(WifiSession.device_id == device)
    if device__group is not None:
        filter_choices.check_owned(DeviceGroup, device__group, user=user, field="device__group")
        group_devices = select(Device.id).where(Device.group_id == device__group)
        sessions = sessions.where(WifiSession.device_id.in_(group_devices))
    for name, value in time_filters.items():
        column, compare = TIME_FILTERS[name]
        sessions = sessions.where(compare(getattr(WifiSession, column), value))
    if stop_time__isnull is not None:
        sessions = sessions.where(WifiSession.stop_time.is_(None) if stop_time__isnull
                                  else WifiSession.stop_time.is_not(None))
    # Sessions carry their device's organization: a tenant's sessions are counted from one
    # index, without the joins that only add names to the page.
    named = _with_names(sessions).order_by(WifiSession.start_time.desc(), WifiSession.id.desc())
    return paginate(named, page=page, page_size=page_size, scalars=False, count_statement=sessions)


def _with_names(sessions: Select) -> Select:
    """Each session with its device's name, its organization's name and its client."""
    return (
        sessions.add_columns(Device.name.label("device_name"), Organization.name.label("organization_name"),
                             WifiClient)
        .join(Device, Device.id == WifiSession.device_id)
        .join(Organization, Organization.id == WifiSession.organization_id)
        .join(WifiClient, (WifiClient.organization_id == WifiSession.organization_id)
              & (WifiClient.mac_address == WifiSession.wifi_client_id))
    )


def get(*, user: User, session_id: uuid.UUID):
    """A session with its names; 404 when missing or of an organization the user does not manage."""
    row = db.session.execute(_with_names(select(WifiSession)).where(WifiSession.id == session_id)).one_or_none()
    if row is None or not manages(user, row.WifiSession.organization_id):
        errors.not_found(LABEL)
    return row


def prune(*, days: int, now: datetime | None = None) -> tuple[int, int]:
    """Delete the sessions that started more than ``days`` days ago, then the clients left
    without sessions; returns how many of each.

    A client is kept if a sample touched it since the cut-off: a sample being written right
    now may be about to give it a new session.
    """
    cutoff = (now or utcnow()) - timedelta(days=days)
    sessions = db.session.execute(delete(WifiSession).where(WifiSession.start_time < cutoff)).rowcount
    clients = db.session.execute(
        delete(WifiClient).where(
            WifiClient.modified < cutoff,
            ~exists().where(WifiSession.organization_id == WifiClient.organization_id,
                            WifiSession.wifi_client_id == WifiClient.mac_address),
        )
    ).rowcount
    db.session.commit()
    return sessions, clients
