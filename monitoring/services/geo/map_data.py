"""What the monitoring map shows (docs/api.md §12–14): locations with their device counts
per health status, the devices of a location, and the indoor positions by floor."""
from __future__ import annotations

import math
import uuid

from flask import current_app, url_for
from sqlalchemy import exists, func, or_, select

from monitoring.extensions import db
from monitoring.models import Device, DeviceLocation, DeviceMonitoring, FloorPlan, Location, User
from monitoring.pagination import paginate
from monitoring.services import filter_choices
from monitoring.services.common import contains_pattern, get_managed
from monitoring.tenancy import scoped

# Feature counts by health status; a deactivated device counts in device_count only.
COUNTED_STATUSES = ("ok", "problem", "critical", "unknown")
GEOJSON_PAGE_SIZE = 1000
INDOOR_PAGE_SIZE = 50


def geojson_page(
    *,
    user: User,
    page=None,
    page_size=None,
    organization: uuid.UUID | None = None,
    organization_slug: str | None = None,
    is_mobile: bool | None = None,
    type: str | None = None,
) -> dict:
    """Locations with at least one device, newest first, with per-status device counts.

    The page envelope is the reference's GeoJSON one: 1000 features by default, and no upper
    limit on ``page_size``."""
    status = DeviceMonitoring.status
    statement = (
        select(
            Location.id, Location.name, Location.type, Location.is_mobile, Location.address,
            Location.created, Location.modified, Location.organization_id,
            Location.latitude, Location.longitude,
            func.count().label("device_count"),
            *(func.count().filter(status == name).label(f"{name}_count") for name in COUNTED_STATUSES),
        )
        .join(DeviceLocation, DeviceLocation.location_id == Location.id)
        .join(DeviceMonitoring, DeviceMonitoring.device_id == DeviceLocation.device_id)
        .group_by(Location.id)
    )
    statement = scoped(statement, Location.organization_id, user)
    statement = filter_choices.by_organization(statement, Location.organization_id, user=user,
                                               organization=organization, organization_slug=organization_slug)
    if is_mobile is not None:
        statement = statement.where(Location.is_mobile.is_(is_mobile))
    if type is not None:
        statement = statement.where(Location.type == type)
    statement = statement.order_by(Location.created.desc(), Location.id.desc())
    result = paginate(statement, page=page, page_size=page_size, default_size=GEOJSON_PAGE_SIZE,
                      max_size=0, scalars=False)
    return {"type": "FeatureCollection", "count": result["count"], "next": result["next"],
            "previous": result["previous"], "features": result["results"]}


def get_location(*, user: User, location_id: uuid.UUID) -> Location:
    """The location, if the user may see it; the reference answers a bare "Not found." here."""
    return get_managed(Location, location_id, user=user, label=None)


def location_devices_page(
    *,
    location: Location,
    page=None,
    page_size=None,
    search: str | None = None,
    status: list[str] | None = None,
) -> dict:
    """The devices at a (visible) location by name, plus whether any of them is on a floorplan."""
    statement = (
        select(Device)
        .join(DeviceLocation, DeviceLocation.device_id == Device.id)
        .where(DeviceLocation.location_id == location.id)
    )
    search = search.strip() if search else None
    if search:
        pattern = contains_pattern(search)
        statement = statement.where(or_(Device.name.ilike(pattern), Device.mac_address.ilike(pattern)))
    if status:
        statement = statement.join(DeviceMonitoring, DeviceMonitoring.device_id == Device.id).where(
            DeviceMonitoring.status.in_(status)
        )
    result = paginate(statement.order_by(Device.name, Device.id), page=page, page_size=page_size)
    result["has_floorplan"] = db.session.execute(
        select(exists().where(DeviceLocation.location_id == location.id, DeviceLocation.floorplan_id.is_not(None)))
    ).scalar_one()
    return result


def default_floor(floors: list[int]) -> int | None:
    """The ground floor or the lowest one above it; underground only: the one nearest the
    surface."""
    above = [floor for floor in floors if floor >= 0]
    if above:
        return min(above)
    return max(floors) if floors else None


def indoor_coordinates_page(
    *,
    location: Location,
    page=None,
    page_size=None,
    floor: float | None = None,
) -> dict:
    """Devices placed on the floorplans of a (visible) indoor location, one floor at a time,
    plus every floor that has devices."""
    floors = list(db.session.execute(
        select(FloorPlan.floor).distinct()
        .join(DeviceLocation, DeviceLocation.floorplan_id == FloorPlan.id)
        .where(DeviceLocation.location_id == location.id)
        .order_by(FloorPlan.floor)
    ).scalars())
    if floor is None:
        floor = default_floor(floors)
    statement = (
        select(
            DeviceLocation.device_id.label("id"), DeviceLocation.device_id, DeviceLocation.indoor,
            Device.name.label("device_name"), Device.mac_address,
            FloorPlan.id.label("floorplan_id"), FloorPlan.floor, FloorPlan.image,
            DeviceMonitoring.status, Location.name.label("location_name"),
        )
        .join(Location, Location.id == DeviceLocation.location_id)
        .join(FloorPlan, FloorPlan.id == DeviceLocation.floorplan_id)
        .join(Device, Device.id == DeviceLocation.device_id)
        .join(DeviceMonitoring, DeviceMonitoring.device_id == Device.id)
        .where(DeviceLocation.location_id == location.id, Location.type == "indoor")
        .order_by(FloorPlan.floor, Device.name, Device.id)
    )
    statement = statement.where(FloorPlan.floor == floor) if floor is not None else statement.where(False)
    result = paginate(statement, page=page, page_size=page_size, default_size=INDOOR_PAGE_SIZE, scalars=False)
    result["floors"] = floors
    return result


def device_admin_url(device_id: uuid.UUID) -> str:
    """Where a person edits the device: ``DEVICE_ADMIN_URL`` (with ``{id}``) when the
    deployment has an admin interface, else the device in the management API."""
    template = current_app.config["DEVICE_ADMIN_URL"]
    if template:
        return template.format(id=device_id)
    return url_for("devices.DeviceDetail", object_id=device_id, _external=True)


def status_label(status: str) -> str:
    return current_app.config["HEALTH_STATUS_LABELS"].get(status, status)


def floor_name(location_name: str, floor: int) -> str:
    """"HQ 1st floor", "HQ ground floor", "HQ -1 floor", as the reference names floors."""
    if floor == 0:
        ordinal = "ground"
    elif floor < 0:
        ordinal = str(floor)
    elif floor % 100 in (11, 12, 13):
        ordinal = f"{floor}th"
    else:
        ordinal = str(floor) + {1: "st", 2: "nd", 3: "rd"}.get(floor % 10, "th")
    return f"{location_name} {ordinal} floor"


def indoor_position(indoor: str | None) -> dict | None:
    """``"y,x"`` as ``{"lat": y, "lng": x}``; None when absent or not two numbers."""
    if not indoor:
        return None
    y, _, x = indoor.partition(",")
    try:
        position = {"lat": float(y), "lng": float(x)}
    except ValueError:
        return None
    return position if all(math.isfinite(value) for value in position.values()) else None
