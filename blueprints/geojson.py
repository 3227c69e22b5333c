"""Map data: ``/api/v1/monitoring/geojson/``."""
from __future__ import annotations

from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from monitoring.services import map_data
from schemas.map_data import GeoJsonFilterSchema, LocationFeatureCollectionSchema

blp = Blueprint(
    "geojson", __name__, url_prefix="/api/v1/monitoring/geojson",
    description="Locations that have devices, as GeoJSON, with device counts per health status.",
)


@blp.route("/", methods=["GET"])
@manager_required
@blp.arguments(GeoJsonFilterSchema, location="query")
@blp.response(200, LocationFeatureCollectionSchema)
def locations_geojson(args):
    """Locations with devices as a GeoJSON FeatureCollection

    Newest locations first; 1000 features per page unless `page_size` says otherwise (no
    upper limit). `ok_count`, `problem_count`, `critical_count` and `unknown_count` count the
    devices by health status; deactivated devices count in `device_count` only.
    """
    return map_data.geojson_page(user=authenticated_user(), **args)
