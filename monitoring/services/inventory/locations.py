"""Locations (outdoor or indoor, optionally a GeoJSON point)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import FloorPlan, Location, User
from monitoring.pagination import paginate
from monitoring.services.common import apply, check_organization, commit, get_managed
from monitoring.services.inventory.floorplans import remove_image
from monitoring.tenancy import scoped

LABEL = "Location"


def _columns(data: dict) -> dict:
    """The API's ``geometry`` point becomes the two coordinate columns."""
    data = dict(data)
    if "geometry" in data:
        point = data.pop("geometry")
        data["longitude"], data["latitude"] = point if point else (None, None)
    return data


def list_page(*, user: User, page=None, page_size=None, organization=None, type=None) -> dict:
    statement = scoped(select(Location), Location.organization_id, user)
    if organization is not None:
        statement = statement.where(Location.organization_id == organization)
    if type is not None:
        statement = statement.where(Location.type == type)
    return paginate(statement.order_by(Location.name, Location.id), page=page, page_size=page_size)


def get(*, user: User, location_id: uuid.UUID) -> Location:
    return get_managed(Location, location_id, user=user, label=LABEL)


def create(*, user: User, data: dict) -> Location:
    check_organization(data["organization_id"], user=user)
    location = Location(**_columns(data))
    db.session.add(location)
    commit()
    return location


def update(*, user: User, location_id: uuid.UUID, data: dict) -> Location:
    location = get(user=user, location_id=location_id)
    if data.get("organization_id", location.organization_id) != location.organization_id:
        # Devices and floorplans of the location would end up in another tenant.
        errors.invalid({"organization": ["The organization of a location cannot be changed."]})
    if data.get("type", location.type) != "indoor" and _has_floorplans(location):
        errors.invalid({"type": ["This location has floorplans: delete them before changing its type."]})
    apply(location, _columns(data))
    commit()
    return location


def _has_floorplans(location: Location) -> bool:
    statement = select(FloorPlan.id).where(FloorPlan.location_id == location.id).limit(1)
    return db.session.execute(statement).first() is not None


def _floorplan_images(location: Location) -> list[str | None]:
    """The image of each floorplan of the location (None where it has none)."""
    return list(db.session.execute(select(FloorPlan.image).where(FloorPlan.location_id == location.id)).scalars())


def delete(*, user: User, location_id: uuid.UUID) -> None:
    """Its floorplans (and their images) go with it; its devices lose their location."""
    location = get(user=user, location_id=location_id)
    images = _floorplan_images(location)
    db.session.delete(location)
    db.session.commit()
    for image in images:
        remove_image(image)
