"""The network-wide dashboard (docs/api.md §11, docs/metrics.md §3.3): the general WiFi clients
and general traffic charts over every device the user may see, narrowed by organization
slugs, locations and floorplans.

Tenancy, in the reference's order: a user who manages nothing is refused (403, always: we
docs/api.md §11); an unknown slug is 404, a slug of an organization the user
does not manage 403; a location or floorplan outside the selected organizations is 404, as
a missing one is.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import func, select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import FloorPlan, Location, Organization, User
from monitoring.netjson import normalise_ifname
from monitoring.registry import CHARTS, GENERAL_CHARTS
from monitoring.services.charts.builder import ChartRequest, ChartSet, build_charts
from monitoring.services.health import status as health_status
from monitoring.tenancy import managed_organization_ids, scoped
from monitoring.timeseries.chart_queries import SeriesFilter, Window

ALL_ORGANIZATIONS = "__all__"


@dataclass(frozen=True)
class DashboardScope:
    """What the charts aggregate. ``None``: no restriction on that tag."""

    organization_ids: tuple[uuid.UUID, ...] | None
    location_ids: tuple[uuid.UUID, ...] | None
    floorplan_ids: tuple[uuid.UUID, ...] | None
    traffic_ifnames: tuple[str, ...]
    # (id, slug, name) of the organizations the user may pick, by name, when ``scope`` had to
    # read them (every organization, for a superuser selecting none); None: not read yet.
    organizations: tuple[tuple[uuid.UUID, str, str], ...] | None = None


def _items(raw: str | None) -> list[str] | None:
    return raw.split(",") if raw else None


def _ids(raw: str | None) -> list[uuid.UUID] | None:
    """Comma-separated UUIDs; a malformed one names nothing that exists: 404."""
    items = _items(raw)
    if items is None:
        return None
    try:
        return [uuid.UUID(item) for item in items]
    except ValueError:
        errors.not_found()


def _count(statement) -> int:
    return db.session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()


def _organizations(slugs: list[str] | None, managed: set[uuid.UUID] | None) -> tuple[uuid.UUID, ...] | None:
    if slugs is None:
        return None if managed is None else tuple(sorted(managed))
    rows = db.session.execute(select(Organization.slug, Organization.id).where(Organization.slug.in_(slugs)))
    found = dict(rows.all())
    if any(slug not in found for slug in slugs):
        errors.not_found()
    selected = tuple(dict.fromkeys(found[slug] for slug in slugs))
    if managed is not None and not set(selected) <= managed:
        errors.forbidden()
    return selected


def _check_all_found(ids: list[uuid.UUID], statement) -> None:
    # Every id must be matched by a row of its own: a repeated id counts twice, as it does
    # in the reference, and is 404.
    if _count(statement) != len(ids):
        errors.not_found()


def _traffic_ifnames(organization_ids: tuple[uuid.UUID, ...] | None, setting: dict) -> tuple[str, ...]:
    """The interfaces the traffic chart sums: the organization's own list when exactly one is
    selected and it has one, else the ``__all__`` list."""
    setting = setting if isinstance(setting, dict) else {}
    names = None
    if organization_ids is not None and len(organization_ids) == 1:
        names = setting.get(str(organization_ids[0]))
    if not names:
        names = setting.get(ALL_ORGANIZATIONS) or []
    return tuple(dict.fromkeys(normalise_ifname(name) for name in names if isinstance(name, str)))


def _choosable(user: User) -> tuple[tuple[uuid.UUID, str, str], ...]:
    """(id, slug, name) of the organizations ``user`` manages, by name."""
    statement = select(Organization.id, Organization.slug, Organization.name).order_by(
        Organization.name, Organization.slug)
    return tuple(tuple(row) for row in db.session.execute(scoped(statement, Organization.id, user)))


def scope(*, user: User, organization_slug: str | None = None, location_id: str | None = None,
          floorplan_id: str | None = None) -> DashboardScope:
    """What ``user`` may chart with these filters; 403/404 as the reference answers."""
    managed = managed_organization_ids(user)
    if managed is not None and not managed:
        errors.forbidden()
    organization_ids = _organizations(_items(organization_slug), managed)
    location_ids = _ids(location_id)
    if location_ids is not None:
        statement = select(Location.id).where(Location.id.in_(location_ids))
        if managed is not None:
            statement = statement.where(Location.organization_id.in_(organization_ids))
        _check_all_found(location_ids, statement)
    floorplan_ids = _ids(floorplan_id)
    if floorplan_ids is not None:
        statement = select(FloorPlan.id).where(FloorPlan.id.in_(floorplan_ids))
        if managed is not None:
            if location_ids is not None:
                statement = statement.where(FloorPlan.location_id.in_(location_ids))
            else:
                statement = statement.join(Location, Location.id == FloorPlan.location_id).where(
                    Location.organization_id.in_(organization_ids)
                )
        _check_all_found(floorplan_ids, statement)
    return DashboardScope(
        organization_ids=organization_ids,
        location_ids=tuple(dict.fromkeys(location_ids)) if location_ids is not None else None,
        floorplan_ids=tuple(dict.fromkeys(floorplan_ids)) if floorplan_ids is not None else None,
        traffic_ifnames=_traffic_ifnames(organization_ids, current_app.config["DASHBOARD_TRAFFIC_CHART"]),
        # Every organization: the charts filter by all their ids, the choices list them.
        organizations=_choosable(user) if organization_ids is None else None,
    )


def organization_choices(user: User, dashboard: DashboardScope) -> list[dict] | None:
    """``{"id": slug, "text": name}`` of the organizations the user may pick from, by name,
    when there are at least two to pick from; else None."""
    rows = dashboard.organizations if dashboard.organizations is not None else _choosable(user)
    if len(rows) < 2:
        return None
    return [{"id": slug, "text": name} for _, slug, name in rows]


def chart_requests(dashboard: DashboardScope) -> list[ChartRequest]:
    organization_ids = dashboard.organization_ids
    if organization_ids is None:
        # Every organization: the same points as no filter at all (each point carries its
        # organization), but the recent raw points are then found through the
        # (organization_id, time) index instead of a scan of the day's chunk.
        organization_ids = tuple(organization_id for organization_id, _, _ in dashboard.organizations or ())
    scoped = SeriesFilter(
        organization_ids=organization_ids,
        location_ids=dashboard.location_ids,
        floorplan_ids=dashboard.floorplan_ids,
    )
    return [
        ChartRequest(
            configuration=name,
            filters=replace(scoped, ifnames=dashboard.traffic_ifnames) if CHARTS[name].dashboard_interfaces else scoped,
        )
        for name in GENERAL_CHARTS
    ]


def dashboard_charts(*, dashboard: DashboardScope, window: Window) -> ChartSet:
    return build_charts(chart_requests(dashboard), window=window)


def report(*, user: User, dashboard: DashboardScope, window: Window) -> dict:
    """The dashboard JSON: charts, ``x`` when any chart has data, the devices counted by
    status and by problem, ``organizations`` when the user has a choice."""
    chart_set = dashboard_charts(dashboard=dashboard, window=window)
    result: dict = {"charts": chart_set.charts}
    if chart_set.x is not None:
        result["x"] = chart_set.x
    result["devices"] = health_status.device_counts(
        organization_ids=dashboard.organization_ids, location_ids=dashboard.location_ids,
        floorplan_ids=dashboard.floorplan_ids)
    choices = organization_choices(user, dashboard)
    if choices is not None:
        result["organizations"] = choices
    return result
