"""Helpers shared by the management endpoint tests (devices, groups, locations, floorplans).

Requests run in their own app context and database session; these helpers read the rows
afresh so assertions see what the request committed.
"""
from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from monitoring.extensions import db
from monitoring.models import DeviceGroup, FloorPlan

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
NOT_MANAGER = "User is not a manager of the organization to which the requested resource belongs."
NOT_AUTHENTICATED = "Authentication credentials were not provided."


def count(model, *criteria) -> int:
    """Rows of ``model`` in the database now (optionally matching ``criteria``)."""
    statement = select(func.count()).select_from(model)
    if criteria:
        statement = statement.where(*criteria)
    return db.session.execute(statement).scalar_one()


def fresh(model, object_id):
    """The row as the database has it now, or None."""
    return db.session.get(model, uuid.UUID(str(object_id)), populate_existing=True)


def invalid_pk(value) -> list[str]:
    return [f'Invalid pk "{value}" - object does not exist.']


def make_group(org, name: str = "group", **fields) -> DeviceGroup:
    group = DeviceGroup(organization_id=org.id, name=name, **fields)
    db.session.add(group)
    db.session.commit()
    return group


def make_floorplan(location, floor: int = 1, **fields) -> FloorPlan:
    floorplan = FloorPlan(organization_id=location.organization_id, location_id=location.id, floor=floor, **fields)
    db.session.add(floorplan)
    db.session.commit()
    return floorplan
