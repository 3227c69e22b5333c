"""Nearby devices, map data and WiFi session queries.

Distances use the ``cube`` contrib extension: a GiST index holds each location as a point on
the unit sphere; containment in a cube finds the candidates within a radius and ``<->``
(straight-line distance, which grows with the great-circle distance) orders them nearest
first. The exact great-circle distance on the reference's sphere is computed only for those
candidates. Why not earthdistance's own functions, or PostGIS: docs/geo.md.

Revision ID: 0003_locations_geo
Revises: 0002_monitoring_data
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0003_locations_geo'
down_revision = '0002_monitoring_data'
branch_labels = None
depends_on = None


# Plain SQL functions made of strict built-ins: the planner inlines them, so a query's
# expression and the index expression are the same tree and the index is used. The indexed
# points are unit vectors: no radius (and no function that could be redefined, such as
# earthdistance's earth()) is part of the index.
GEO_UNIT_POINT = """
CREATE FUNCTION geo_unit_point(latitude double precision, longitude double precision)
RETURNS cube
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT cube(cube(cube(cos(radians(latitude)) * cos(radians(longitude))),
                     cos(radians(latitude)) * sin(radians(longitude))),
                sin(radians(latitude)))
$$
"""


def _radians(degrees: str) -> str:
    # pi * degrees / 180 in this order, as PostGIS converts: the same floating-point steps.
    return f"(pi() * {degrees} / 180.0::float8)"


def _central_angle() -> str:
    """The atan2 form of the great-circle angle that PostGIS's ST_DistanceSphere uses:
    accurate for near and antipodal points alike."""
    lat_1, lat_2 = _radians("latitude_1"), _radians("latitude_2")
    d_lon = f"({_radians('longitude_2')} - {_radians('longitude_1')})"
    a_1 = f"(cos({lat_2}) * sin({d_lon}))"
    a_2 = f"(cos({lat_1}) * sin({lat_2}) - sin({lat_1}) * cos({lat_2}) * cos({d_lon}))"
    b = f"(sin({lat_1}) * sin({lat_2}) + cos({lat_1}) * cos({lat_2}) * cos({d_lon}))"
    return f"atan2(sqrt({a_1} * {a_1} + {a_2} * {a_2}), {b})"


# Metres on a sphere of radius 6371008.7714 m (the mean radius of WGS 84), the reference's.
GEO_DISTANCE = f"""
CREATE FUNCTION geo_distance(latitude_1 double precision, longitude_1 double precision,
                             latitude_2 double precision, longitude_2 double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT 6371008.7714::float8 * {_central_angle()}
$$
"""


# WiFi sessions carry their device's organization, so that a tenant's sessions are counted
# and paged from one index (not by joining a million sessions to the devices table). The
# database keeps the copy exact whoever writes: a new session takes its device's
# organization, and a device moving to another organization takes its sessions along. The
# device row is share-locked while it is read, so a concurrent move waits for the sample
# (or the sample for the move) instead of leaving a session behind.
WIFI_SESSION_ORGANIZATION = """
CREATE FUNCTION wifi_sessions_set_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT organization_id INTO NEW.organization_id FROM devices WHERE id = NEW.device_id FOR SHARE;
    RETURN NEW;
END
$$;
CREATE TRIGGER wifi_sessions_organization
    BEFORE INSERT OR UPDATE OF device_id ON wifi_sessions
    FOR EACH ROW EXECUTE FUNCTION wifi_sessions_set_organization();

CREATE FUNCTION devices_move_wifi_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wifi_sessions SET organization_id = NEW.organization_id WHERE device_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER devices_wifi_sessions_organization
    AFTER UPDATE OF organization_id ON devices
    FOR EACH ROW WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id)
    EXECUTE FUNCTION devices_move_wifi_sessions();
"""


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS cube")
    op.execute(GEO_UNIT_POINT)
    op.execute(GEO_DISTANCE)
    op.execute(
        "CREATE INDEX ix_locations_geo_point ON locations USING gist (geo_unit_point(latitude, longitude))"
    )

    op.add_column("wifi_sessions", sa.Column("organization_id", sa.UUID(), nullable=True))
    op.execute(WIFI_SESSION_ORGANIZATION)
    op.execute(
        "UPDATE wifi_sessions SET organization_id = devices.organization_id "
        "FROM devices WHERE devices.id = wifi_sessions.device_id"
    )
    op.alter_column("wifi_sessions", "organization_id", nullable=False)
    # A tenant's sessions newest first; the id breaks ties between sessions opened by one sample.
    op.create_index(
        "ix_wifi_sessions_organization_start", "wifi_sessions",
        ["organization_id", sa.text("start_time DESC"), sa.text("id DESC")],
    )


def downgrade():
    op.drop_index("ix_wifi_sessions_organization_start", table_name="wifi_sessions")
    op.execute("DROP TRIGGER devices_wifi_sessions_organization ON devices")
    op.execute("DROP FUNCTION devices_move_wifi_sessions()")
    op.execute("DROP TRIGGER wifi_sessions_organization ON wifi_sessions")
    op.execute("DROP FUNCTION wifi_sessions_set_organization()")
    op.drop_column("wifi_sessions", "organization_id")
    op.execute("DROP INDEX ix_locations_geo_point")
    op.execute("DROP FUNCTION geo_distance(double precision, double precision, double precision, double precision)")
    op.execute("DROP FUNCTION geo_unit_point(double precision, double precision)")
    op.execute("DROP EXTENSION IF EXISTS cube")
