"""The network-wide dashboard: ``/api/v1/monitoring/dashboard/``."""
from __future__ import annotations

from blueprints.chart_export import CSV_SCHEMA, chart_headers, csv_response
from monitoring.auth import authenticated_user, user_required
from monitoring.extensions import Blueprint
from monitoring.replicas import heavy_read
from monitoring.services.charts import dashboard
from monitoring.services.charts import window as chart_window
from monitoring.services.charts.builder import charts_csv
from schemas.common import ErrorSchema
from schemas.dashboard import DashboardArgsSchema, DashboardSchema

blp = Blueprint(
    "dashboard", __name__, url_prefix="/api/v1/monitoring/dashboard",
    description="General charts of the whole network: WiFi clients and traffic of every device the "
    "user may see.",
)


@blp.route("/", methods=["GET"])
@user_required
@heavy_read
@blp.arguments(DashboardArgsSchema, location="query")
@blp.response(200, DashboardSchema)
@blp.alt_response(200, schema=CSV_SCHEMA, content_type="text/csv",
                  description="JSON; with `csv=true` the charts as CSV")
@blp.alt_response(400, description="Invalid chart parameter: a JSON list with one message")
@blp.alt_response(403, schema=ErrorSchema, description="Not a manager, or a slug of an organization the user "
                  "does not manage")
@blp.alt_response(404, schema=ErrorSchema, description="Unknown slug, or a location or floorplan outside the "
                  "selected organizations")
def get_dashboard(args):
    """Read the general charts

    Unique WiFi clients and the traffic of the configured interfaces
    (`MONITORING_DASHBOARD_TRAFFIC_CHART`) over the selected organizations, locations and
    floorplans. `organizations` lists the organizations to choose from when there are several.
    """
    # Chart parameters are checked before tenancy, as the reference does.
    window = chart_window.window_from(args)
    user = authenticated_user()
    scope = dashboard.scope(user=user, organization_slug=args.get("organization_slug"),
                            location_id=args.get("location_id"), floorplan_id=args.get("floorplan_id"))
    if args.get("csv"):
        return csv_response(charts_csv(dashboard.dashboard_charts(dashboard=scope, window=window)),
                            headers=chart_headers(args))
    return dashboard.report(user=user, dashboard=scope, window=window), chart_headers(args)
