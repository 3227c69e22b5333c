"""Great-circle distances in SQL, on the index of migration 0003 (see docs/geo.md).

Locations are indexed as points on the unit sphere (``geo_unit_point``, a ``cube``). Two
unit points ``c`` apart in a straight line (a chord) are ``2·asin(c/2)`` radians apart on the
sphere, so the chord grows with the distance: sorting by chord (``<->``) is sorting by
distance, and the cube around the reference point with half-side "chord of the radius"
contains every point within the radius. The index finds those candidates; only they get the
exact distance.
"""
from __future__ import annotations

import math

from sqlalchemy import Float, func
from sqlalchemy.sql.elements import ColumnElement

# The sphere of the reference's distances (the mean radius of WGS 84). The same constant is
# in the SQL function geo_distance of migration 0003.
EARTH_RADIUS_M = 6371008.7714
# Leeway of the index search around the exact, rounded filter: the box only has to contain
# every candidate, the exact filter decides.
SEARCH_MARGIN_M = 1.0


def unit_point(latitude, longitude) -> ColumnElement:
    """The indexed expression; a column pair gives the index, constants give one point."""
    return func.geo_unit_point(latitude, longitude)


def distance_m(latitude_1, longitude_1, latitude_2, longitude_2) -> ColumnElement:
    """Metres on the reference's sphere (null when a coordinate is null)."""
    return func.geo_distance(latitude_1, longitude_1, latitude_2, longitude_2, type_=Float)


def nearest_first(latitude, longitude, *, to_latitude: float, to_longitude: float) -> ColumnElement:
    """A sort key in the order of the distance, cheaper than the distance itself. (Alone in
    an ORDER BY the index could serve it as a nearest-neighbour scan; with a tie-breaker after
    it, PostgreSQL 15 sorts the candidates instead.)"""
    return unit_point(latitude, longitude).op("<->", return_type=Float)(unit_point(to_latitude, to_longitude))


def chord_for(metres: float) -> float:
    """Straight-line distance between unit points ``metres`` apart on the sphere."""
    angle = min(max(metres, 0.0) / EARTH_RADIUS_M, math.pi)
    return 2.0 * math.sin(angle / 2.0)


def within_box(latitude, longitude, *, to_latitude: float, to_longitude: float, metres: float) -> ColumnElement:
    """An index condition true for every point within ``metres`` (and a few more)."""
    box = func.cube_enlarge(unit_point(to_latitude, to_longitude), chord_for(metres + SEARCH_MARGIN_M), 3)
    return unit_point(latitude, longitude).op("<@", is_comparison=True)(box)
