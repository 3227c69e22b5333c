"""WiFi sessions recorded from device samples: ``/api/v1/monitoring/wifi-session/``."""
from __future__ import annotations

from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from monitoring.replicas import heavy_read
from monitoring.services.geo import wifi_sessions
from schemas.common import ErrorSchema, page_of
from schemas.wifi_sessions import WifiSessionFilterSchema, WifiSessionSchema

blp = Blueprint(
    "wifi_sessions", __name__, url_prefix="/api/v1/monitoring/wifi-session",
    description="WiFi sessions: a client's stay on an access-point interface of a device, derived from the "
    "device's samples (a client missing from a later sample ends its session).",
)


@blp.route("/", methods=["GET"])
@manager_required
@heavy_read
@blp.arguments(WifiSessionFilterSchema, location="query")
@blp.response(200, page_of(WifiSessionSchema))
def list_wifi_sessions(args):
    """List WiFi sessions, newest first"""
    return wifi_sessions.list_page(user=authenticated_user(), **args)


@blp.route("/<uuid:session_id>/", methods=["GET"])
@manager_required
@heavy_read
@blp.response(200, WifiSessionSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such session, or not visible")
def get_wifi_session(session_id):
    """Read a WiFi session"""
    return wifi_sessions.get(user=authenticated_user(), session_id=session_id)
