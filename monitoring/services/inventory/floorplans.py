"""Floorplans of indoor locations, with an optional uploaded image."""
from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from flask import current_app, url_for
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


def uploaded_image(image: FileStorage | None) -> FileStorage | None:
    """The ``image`` file of a multipart request (None when there is none), checked before
    anything is written."""
    if image is None or not image.filename:
        return None
    if Path(image.filename).suffix.lower() not in IMAGE_EXTENSIONS:
        errors.invalid({"image": [f"Upload an image file ({', '.join(sorted(IMAGE_EXTENSIONS))})."]})
    return image


def remove_image(relative: str | None) -> None:
    """Delete an image file of MEDIA_ROOT, if there is one."""
    if relative:
        (Path(current_app.config["MEDIA_ROOT"]) / relative).unlink(missing_ok=True)


def _stage_image(floorplan: FloorPlan, image: FileStorage) -> tuple[str, Path]:
    """Write the upload beside the floorplan's image file, under a temporary name: the
    image in place stays as it is until the change is committed. Returns the image's
    path relative to MEDIA_ROOT and the temporary file."""
    relative = f"floorplans/{floorplan.id}{Path(image.filename).suffix.lower()}"
    directory = (Path(current_app.config["MEDIA_ROOT"]) / relative).parent
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{floorplan.id}.", suffix=".upload")
    with os.fdopen(handle, "wb") as file:
        image.save(file)
    return relative, Path(temporary)


def _commit_with_image(floorplan: FloorPlan, image: FileStorage | None) -> None:
    """Commit the floorplan; an uploaded image takes its place (a rename, atomic) only once
    the row is committed, and is deleted if the commit fails. The image it replaces goes
    after the commit too (e.g. a .png replaced by a .jpg)."""
    if image is None:
        commit(DUPLICATE)
        return
    relative, staged = _stage_image(floorplan, image)
    replaced = floorplan.image if floorplan.image != relative else None
    floorplan.image = relative
    try:
        commit(DUPLICATE)
        staged.replace(Path(current_app.config["MEDIA_ROOT"]) / relative)
    finally:
        staged.unlink(missing_ok=True)  # only still there when the commit failed
    remove_image(replaced)


def create(*, user: User, data: dict, image: FileStorage | None = None) -> FloorPlan:
    location = _indoor_location(data["location_id"], user=user)
    _check_floor_free(location.id, data["floor"])
    floorplan = FloorPlan(id=uuid.uuid4(), organization_id=location.organization_id, **data)
    db.session.add(floorplan)
    _commit_with_image(floorplan, image)
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
    _commit_with_image(floorplan, image)
    return floorplan


def image_path(*, user: User, path: str) -> str:
    """``path`` (relative to MEDIA_ROOT) if it is the image of a floorplan ``user`` may see:
    a manager of its organization or a superuser. Any other path, an image of another
    tenant's floorplan included, is not found."""
    organization_id = db.session.scalar(select(FloorPlan.organization_id).where(FloorPlan.image == path))
    if organization_id is None or not manages(user, organization_id):
        errors.not_found()
    return path


def delete(*, user: User, floorplan_id: uuid.UUID) -> None:
    floorplan = get(user=user, floorplan_id=floorplan_id)
    image = floorplan.image
    db.session.delete(floorplan)
    db.session.commit()
    remove_image(image)
