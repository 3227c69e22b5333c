"""Availability reports (docs/availability.md): how much of a period each device was up, its
outages, and the time-weighted aggregate of organizations, groups and locations.

The unit is the five-minute slot of ``timeseries/availability.py``: a device's availability
is its up slots over its monitored slots, the slots touched by one of its maintenance
windows left out. Whole hours and days before the rollups' watermark are read from the
availability rollups (down hours slot by slot from their masks), only the range's edges
from the raw points in the same hour rows; both give the same slots, so the report is the
same whichever is read.

Outages: a run of down slots, from the start of the first to the start of the first up slot
after it (slots without any verdict in between do not end it); one still running at the
period's end ends there and is ``ongoing``.
"""
from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import Device, DeviceGroup, DeviceLocation, Location, Organization, User
from monitoring.pagination import paginate_list
from monitoring.services import filter_choices
from monitoring.services.maintenance import windows as maintenance_windows
from monitoring.services.maintenance.windows import Span
from monitoring.tenancy import manages, scoped
from monitoring.timeseries import availability as slots_store
from monitoring.timeseries.chart_queries import ONE_MICROSECOND, Window, ceil_to, floor_to, read_watermark

CAUSES = {frozenset({"ping"}): "ping", frozenset({"data"}): "data", frozenset({"ping", "data"}): "both"}


@dataclass
class Outage:
    start: datetime
    end: datetime | None = None  # the start of the first up slot after it
    ongoing: bool = False
    causes: set[str] = field(default_factory=set)

    @property
    def cause(self) -> str:
        """``ping`` (unreachable), ``data`` (no data collected) or ``both``."""
        return CAUSES[frozenset(self.causes)]

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass
class Tally:
    """Slots of one device, or of a group of devices (then without outages' details)."""

    slots: int = 0
    down_slots: int = 0
    outages: list[Outage] = field(default_factory=list)
    outage_count: int = 0
    maintenance: list[Span] = field(default_factory=list)  # a device's maintenance spans

    @property
    def availability(self) -> float | None:
        """Percent of the monitored slots that were up; None when nothing was monitored."""
        if not self.slots:
            return None
        return round(100 * (self.slots - self.down_slots) / self.slots, 4)

    @property
    def monitored(self) -> timedelta:
        return self.slots * slots_store.SLOT

    @property
    def downtime(self) -> timedelta:
        return self.down_slots * slots_store.SLOT

    @property
    def mtbf(self) -> timedelta | None:
        """Mean time between failures: up time per outage."""
        return (self.monitored - self.downtime) / self.outage_count if self.outage_count else None

    @property
    def mttr(self) -> timedelta | None:
        """Mean time to recovery: the mean duration of the outages that ended."""
        ended = [outage.duration for outage in self.outages if not outage.ongoing]
        return sum(ended, timedelta()) / len(ended) if ended else None

    def add(self, other: Tally) -> None:
        self.slots += other.slots
        self.down_slots += other.down_slots
        self.outage_count += other.outage_count


Up = tuple[uuid.UUID, datetime]  # a device's first up slot after an hour that ended down


def tallies(device_ids: list[uuid.UUID], lower: datetime, upper: datetime) -> dict[uuid.UUID, Tally]:
    """Every device's slots, outages and maintenance over [lower, upper)."""
    session = db.session
    result = {device_id: Tally() for device_id in device_ids}
    if not device_ids or lower >= upper:
        return result
    spans = maintenance_windows.device_spans(device_ids, lower, upper)
    for device_id, tally in result.items():
        tally.maintenance = spans.get(device_id, [])
    watermark = read_watermark(session)
    rolled_lower = ceil_to(lower, slots_store.HOUR)
    rolled_upper = floor_to(min(upper, watermark), slots_store.HOUR) if watermark else rolled_lower
    if rolled_lower >= rolled_upper:
        rolled_lower = rolled_upper = upper  # everything raw
    periods = (slots_store.raw_hours(session, device_ids, lower, rolled_lower)
               + slots_store.raw_hours(session, device_ids, rolled_upper, upper))
    for period in periods:
        result[period.device_id].slots += period.slots
        result[period.device_id].down_slots += period.down_slots
    ups: list[Up] = []
    if rolled_lower < rolled_upper:
        close, ups = _rolled_up(result, rolled_lower, rolled_upper, raw_start=periods)
        periods += close
    _place_outages(result, periods, ups, upper - ONE_MICROSECOND)
    return result


def _rolled_up(result: dict[uuid.UUID, Tally], lower: datetime, upper: datetime, *,
               raw_start: list[slots_store.Period]) -> tuple[list[slots_store.Period], list[Up]]:
    """Count the rolled-up hours [lower, upper) into ``result``; returns the hours to read
    slot by slot, and where each outage that may be running at the end of one of them (or
    of the raw hours before ``lower``) ends: the hours in between only matter by that."""
    session = db.session
    device_ids = list(result)
    for device_id, (slots, down_slots) in slots_store.rollup_totals(session, device_ids, lower, upper).items():
        result[device_id].slots += slots
        result[device_id].down_slots += down_slots
    close = slots_store.close_hours(session, device_ids, lower, upper, [
        (device_id, span.begins, span.ends) for device_id, tally in result.items() for span in tally.maintenance])
    afters = [(period.device_id, lower) for period in raw_start if period.time < lower and period.down_slots]
    afters += [(period.device_id, period.time + period.grain) for period in close
               if _may_end_down(period, _maintenance_mask(period, result[period.device_id].maintenance))]
    return close, slots_store.next_up(session, afters, upper)


def _place_outages(result: dict[uuid.UUID, Tally], periods: list[slots_store.Period], ups: list[Up],
                   last_instant: datetime) -> None:
    """Each device's outages from its hours read slot by slot and the up slots after them,
    the slots in maintenance left out (and taken off its counts)."""
    by_device: dict[uuid.UUID, list[slots_store.Period]] = defaultdict(list)
    for period in periods:
        by_device[period.device_id].append(period)
    ups_by_device: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    for device_id, first_up in ups:
        ups_by_device[device_id].append(first_up)
    for device_id, tally in result.items():
        events = [(first_up, set()) for first_up in ups_by_device[device_id]
                  if not _covers(tally.maintenance, first_up, first_up + slots_store.SLOT)]
        for period in by_device[device_id]:
            covered = _maintenance_mask(period, tally.maintenance)
            if covered:
                # Slots in maintenance count for nothing, as slots without a verdict.
                tally.slots -= (period.slot_mask & covered).bit_count()
                tally.down_slots -= ((period.ping_down_mask | period.data_down_mask) & covered).bit_count()
            events += _events(period, covered)
        tally.outages = _outages(sorted(events, key=lambda event: event[0]), last_instant)
        tally.outage_count = len(tally.outages)


def _covers(spans: list[Span], begins: datetime, ends: datetime) -> bool:
    return any(span.begins < ends and span.ends > begins for span in spans)


def _maintenance_mask(period: slots_store.Period, spans: list[Span]) -> int:
    """The slots of an hour (bit n: the slot n × 5 minutes after it) that a maintenance span
    covers, wholly or in part."""
    mask = 0
    for span in spans:
        if span.begins < period.time + period.grain and span.ends > period.time:
            first = max(0, (span.begins - period.time) // slots_store.SLOT)
            last = min(slots_store.SLOTS_PER_HOUR, -(-(span.ends - period.time) // slots_store.SLOT))
            mask |= (1 << last) - (1 << first)
    return mask


def _may_end_down(period: slots_store.Period, covered: int) -> bool:
    """Whether an outage may be running at the end of an hour: its last slot with a verdict
    (maintenance left out) is down, or it has none."""
    judged = period.slot_mask & ~covered
    if not judged:
        return True
    last = 1 << (judged.bit_length() - 1)
    return bool((period.ping_down_mask | period.data_down_mask) & last)


def _events(period: slots_store.Period, covered: int) -> list[tuple[datetime, set[str]]]:
    """An hour's slots for placing outages, maintenance left out: (start, causes of being
    down; empty when up). Of the up slots only those that may end an outage: the first one,
    and each one after a down slot."""
    if not period.down_slots and not covered:
        return [(period.first_up, set())] if period.first_up is not None else []
    events = []
    after_down = True
    for n in range(slots_store.SLOTS_PER_HOUR):
        bit = 1 << n
        if not period.slot_mask & bit or covered & bit:
            continue
        causes = set()
        if period.ping_down_mask & bit:
            causes.add("ping")
        if period.data_down_mask & bit:
            causes.add("data")
        if causes or after_down:
            events.append((period.time + n * slots_store.SLOT, causes))
        after_down = bool(causes)
    return events


def _outages(events: list[tuple[datetime, set[str]]], last_instant: datetime) -> list[Outage]:
    """Outages from a device's slots in time order: (start, causes of being down; empty
    when up). One still running ends at the period's last instant."""
    outages: list[Outage] = []
    current: Outage | None = None
    for time, causes in events:
        if causes:
            current = current or Outage(start=time)
            current.causes |= causes
        elif current is not None:
            current.end = time
            outages.append(current)
            current = None
    if current is not None:
        current.end, current.ongoing = last_instant, True
        outages.append(current)
    return outages


# --- who and what ------------------------------------------------------------------------

@dataclass
class DeviceReport:
    device: Device
    location: Location | None
    tally: Tally


@dataclass
class GroupReport:
    """The aggregate of an organization, a device group or a location."""

    id: uuid.UUID | None
    name: str
    devices: int = 0
    tally: Tally = field(default_factory=Tally)
    slug: str | None = None


def _period(window: Window) -> tuple[datetime, datetime]:
    # The window's end is included, and slots are half-open.
    return window.start, window.end + ONE_MICROSECOND


def _device_rows(user: User, *, organization, organization_slug, group, location, device) -> list:
    statement = scoped(
        select(Device, Location).outerjoin(DeviceLocation, DeviceLocation.device_id == Device.id)
        .outerjoin(Location, Location.id == DeviceLocation.location_id),
        Device.organization_id, user,
    )
    statement = filter_choices.by_organization(statement, Device.organization_id, user=user,
                                               organization=organization, organization_slug=organization_slug)
    for model, value, column, name in ((DeviceGroup, group, Device.group_id, "group"),
                                       (Location, location, Location.id, "location"),
                                       (Device, device, Device.id, "device")):
        if value is not None:
            filter_choices.check_owned(model, value, user=user, field=name)
            statement = statement.where(column == value)
    # The devices' status (joined by default) is not part of the report.
    return list(db.session.execute(statement.order_by(Device.name, Device.id).options(lazyload(Device.monitoring))))


def report(*, user: User, window: Window, page=None, page_size=None, organization: uuid.UUID | None = None,
           organization_slug: str | None = None, group: uuid.UUID | None = None,
           location: uuid.UUID | None = None, device: uuid.UUID | None = None) -> dict:
    """The availability of the devices ``user`` manages (filtered), one page of devices
    with the aggregates of every selected device: in all, per organization, group and
    location."""
    reports = device_reports(user=user, window=window, organization=organization,
                             organization_slug=organization_slug, group=group, location=location, device=device)
    page_of_devices = paginate_list(reports, page=page, page_size=page_size)
    return {
        **page_of_devices, "start": window.start, "end": window.end, "timezone": window.timezone,
        "summary": _summary(reports), **_aggregates(reports),
    }


def device_reports(*, user: User, window: Window, **filters) -> list[DeviceReport]:
    """Every selected device's report, by name."""
    rows = _device_rows(user, **filters)
    lower, upper = _period(window)
    counted = tallies([row.Device.id for row in rows], lower, upper)
    return [DeviceReport(row.Device, row.Location, counted[row.Device.id]) for row in rows]


def device_report(*, user: User, device_id: uuid.UUID, window: Window) -> DeviceReport:
    """One device's report; 404 for a device the user does not manage, as for a missing one."""
    device = db.session.get(Device, device_id)
    if device is None or not manages(user, device.organization_id):
        errors.not_found()
    location = db.session.execute(
        select(Location).join(DeviceLocation, DeviceLocation.location_id == Location.id)
        .where(DeviceLocation.device_id == device_id)
    ).scalar_one_or_none()
    lower, upper = _period(window)
    return DeviceReport(device, location, tallies([device_id], lower, upper)[device_id])


def _summary(reports: list[DeviceReport]) -> GroupReport:
    summary = GroupReport(id=None, name="all")
    for item in reports:
        summary.devices += 1
        summary.tally.add(item.tally)
    return summary


def _aggregates(reports: list[DeviceReport]) -> dict[str, list[GroupReport]]:
    organization_ids = {item.device.organization_id for item in reports}
    group_ids = {item.device.group_id for item in reports} - {None}
    organizations = {o.id: o for o in db.session.scalars(select(Organization).where(
        Organization.id.in_(organization_ids)))}
    groups = {g.id: g for g in db.session.scalars(select(DeviceGroup).where(DeviceGroup.id.in_(group_ids)))}
    by_kind: dict[str, dict[uuid.UUID, GroupReport]] = {"organizations": {}, "groups": {}, "locations": {}}
    for item in reports:
        organization = organizations[item.device.organization_id]
        keys = [("organizations", organization.id, organization.name, organization.slug)]
        if item.device.group_id is not None:
            keys.append(("groups", item.device.group_id, groups[item.device.group_id].name, None))
        if item.location is not None:
            keys.append(("locations", item.location.id, item.location.name, None))
        for kind, key, name, slug in keys:
            aggregate = by_kind[kind].setdefault(key, GroupReport(id=key, name=name, slug=slug))
            aggregate.devices += 1
            aggregate.tally.add(item.tally)
    return {kind: sorted(found.values(), key=lambda a: (a.name, str(a.id))) for kind, found in by_kind.items()}


# --- CSV -----------------------------------------------------------------------------------

def _seconds(value: timedelta | None) -> str:
    return "" if value is None else str(round(value.total_seconds()))


def devices_csv(reports: list[DeviceReport]) -> str:
    """One line per device: its availability, time monitored and down, outages, MTBF, MTTR."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["device_id", "device", "organization_id", "group_id", "location", "availability",
                     "monitored_seconds", "downtime_seconds", "outages", "mtbf_seconds", "mttr_seconds"])
    for item in reports:
        tally = item.tally
        writer.writerow([item.device.id, item.device.name, item.device.organization_id, item.device.group_id or "",
                         item.location.name if item.location else "",
                         "" if tally.availability is None else tally.availability,
                         _seconds(tally.monitored), _seconds(tally.downtime), tally.outage_count,
                         _seconds(tally.mtbf), _seconds(tally.mttr)])
    return out.getvalue()


def outages_csv(item: DeviceReport) -> str:
    """One line per outage of a device."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["start", "end", "duration_seconds", "cause", "ongoing"])
    for outage in item.tally.outages:
        writer.writerow([outage.start.isoformat(), outage.end.isoformat(), _seconds(outage.duration),
                         outage.cause, str(outage.ongoing).lower()])
    return out.getvalue()
