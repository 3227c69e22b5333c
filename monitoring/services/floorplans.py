"""Floorplans of indoor locations, with an optional uploaded image."""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from monitoring import errors
from monitoring.extensions import db
from monitoring.models import DeviceLocation, FloorPlan, Location, User
from monitoring.pagination import paginate
from monitoring.services.common import commit, get_managed, invalid_pk
from monitoring.tenancy import manages, scoped

LABEL = "FloorPlan"
DUPLICATE = {"floor": ["This location already has a floorplan for this floor."]}
# No SVG: it can carry script, and media is served from the API's own origin.
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp"}


def image_url(floorplan: FloorPlan) -> str | None:
    if not floorplan.image:
        return None
    return url_for("media.media_file", path=floorplan.image, _external=True)


def list_page(*, user: User, page=None, page_size=None, organization=None, location=None) -> dict:
    statement = scoped(select(FloorPlan), FloorPlan.organization_id, user)
    if organization is not None:
        statement = statement.where(FloorPlan.organization_id == organization)
    if location is not None:
        statement = statement.where(FloorPlan.location_id == location)
    order = (FloorPlan.location_id, FloorPlan.floor, FloorPlan.id)
    return paginate(statement.order_by(*order), page=page, page_size=page_size)


def get(*, user: User, floorplan_id: uuid.UUID) -> FloorPlan:
    return get_managed(FloorPlan, floorplan_id, user=user, label=LABEL)


def _indoor_location(location_id, *, user: User) -> Location:
    location = db.session.get(Location, location_id)
    if location is None or not manages(user, location.organization_id):
        errors.invalid(invalid_pk("location", location_id))
    if location.type != "indoor":
        errors.invalid({"location": ["Floorplans can only be added to indoor locations."]})
    return location


def _check_floor_free(location_id, floor, *, exclude=None) -> None:
    statement = select(FloorPlan.id).where(FloorPlan.location_id == location_id, FloorPlan.floor == floor)
    if exclude is not None:
        statement = statement.where(FloorPlan.id != exclude)
    if db.session.execute(statement).first():
        errors.invalid(DUPLICATE)


def uploaded_image() -> FileStorage | None:
    """The ``image`` file of a multipart request, checked before anything is written."""
    image = request.files.get("image")
    if image is None or not image.filename:
        return None
    if Path(image.filename).suffix.lower() not in IMAGE_EXTENSIONS:
        errors.invalid({"image": [f"Upload an image file ({', '.join(sorted(IMAGE_EXTENSIONS))})."]})
    return image


def remove_image(relative: str | None) -> None:
    """Delete an image file of MEDIA_ROOT, if there is one."""
    if relative:
        (Path(current_app.config["MEDIA_ROOT"]) / relative).unlink(missing_ok=True)


def _store_image(floorplan: FloorPlan, image: FileStorage) -> str | None:
    """Save the file as the floorplan's image; the previous image file if it is now unused."""
    relative = f"floorplans/{floorplan.id}{Path(image.filename).suffix.lower()}"
    target = Path(current_app.config["MEDIA_ROOT"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target)
    replaced = floorplan.image if floorplan.image != relative else None
    floorplan.image = relative
    return replaced


def create(*, user: User, data: dict, image: FileStorage | None = None) -> FloorPlan:
    location = _indoor_location(data["location_id"], user=user)
    _check_floor_free(location.id, data["floor"])
    floorplan = FloorPlan(id=uuid.uuid4(), organization_id=location.organization_id, **data)
    if image is not None:
        _store_image(floorplan, image)
    db.session.add(floorplan)
    commit(DUPLICATE)
    return floorplan


def update(*, user: User, floorplan_id: uuid.UUID, data: dict, image: FileStorage | None = None) -> FloorPlan:
    floorplan = get(user=user, floorplan_id=floorplan_id)
    location_id = data.get("location_id", floorplan.location_id)
    if location_id != floorplan.location_id:
        location = _indoor_location(location_id, user=user)
        if location.organization_id != floorplan.organization_id:
            errors.invalid({"location": ["The floorplan cannot move to another organization."]})
        placed = select(DeviceLocation.device_id).where(DeviceLocation.floorplan_id == floorplan.id)
        if db.session.execute(placed).first():
            # Their location would disagree with their floorplan's.
            errors.invalid({"location": ["Devices are placed on this floorplan: it cannot move to another location."]})
    _check_floor_free(location_id, data.get("floor", floorplan.floor), exclude=floorplan.id)
    for name, value in data.items():
        setattr(floorplan, name, value)
    replaced = _store_image(floorplan, image) if image is not None else None
    commit(DUPLICATE)
    remove_image(replaced)  # e.g. a .png replaced by a .jpg
    return floorplan


def delete(*, user: User, floorplan_id: uuid.UUID) -> None:
    floorplan = get(user=user, floorplan_id=floorplan_id)
    image = floorplan.image
    db.session.delete(floorplan)
    db.session.commit()
    remove_image(image)
