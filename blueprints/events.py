"""Live events: ``/api/v1/monitoring/events/``, a Server-Sent Events stream."""
from __future__ import annotations

from flask import Response, current_app, request, stream_with_context

from monitoring import errors
from monitoring.auth import authenticated_user, authenticating_session_id, authenticating_token_id, manager_required
from monitoring.extensions import Blueprint
from monitoring.services.events import stream as events
from schemas.common import ErrorSchema

blp = Blueprint(
    "events", __name__, url_prefix="/api/v1/monitoring/events",
    description="What changes in the organizations the user manages, as it happens: a Server-Sent Events "
    "stream (docs/events.md).",
)

STREAM_DOC = {
    "description": "`text/event-stream`: `retry: 3000`, then one block per event (`id:`, `event:` its type, "
    "`data:` its JSON), and a `: heartbeat` comment line after `EVENTS_HEARTBEAT_SECONDS` of silence",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}
INVALID_LAST_EVENT_ID = "A valid integer is required."
NOT_HERE = "This server does not serve the event stream (EVENTS_STREAM): the events server does."


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID")
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 18:
        errors.invalid({"Last-Event-ID": [INVALID_LAST_EVENT_ID]})
    return int(raw)


@blp.route("/", methods=["GET"])
@manager_required
@blp.doc(responses={"200": STREAM_DOC}, parameters=[
    {"in": "header", "name": "Last-Event-ID", "schema": {"type": "integer"}, "required": False,
     "description": "the id of the last event received: the events after it still kept are sent first "
     "(browsers send it when they reconnect)"},
])
@blp.alt_response(400, schema=ErrorSchema, description="`Last-Event-ID` is not a number")
@blp.alt_response(503, schema=ErrorSchema, description="This server does not serve streams (`EVENTS_STREAM`): "
                  "the events server does")
def stream_events():
    """Stream the live events

    Device status changes (with the unhealthy metrics as `reasons`), new notifications,
    devices created, deactivated and activated, of the organizations the user manages. The
    stream ends within `EVENTS_RECHECK_SECONDS` of its token being revoked or its session
    ended.
    """
    config = current_app.config
    last_event_id = _last_event_id()
    if not config["EVENTS_STREAM"]:
        errors.service_unavailable(NOT_HERE)
    user = authenticated_user()
    credentials = events.Credentials(user_id=user.id, token_id=authenticating_token_id(),
                                     session_id=authenticating_session_id())
    text = events.stream(hub=events.hub_for(current_app._get_current_object()), credentials=credentials,
                         last_event_id=last_event_id, heartbeat_seconds=config["EVENTS_HEARTBEAT_SECONDS"],
                         recheck_seconds=config["EVENTS_RECHECK_SECONDS"], replay_limit=config["EVENTS_REPLAY_MAX"])
    # Proxies must pass each event on at once (nginx: X-Accel-Buffering).
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **_cross_origin_headers()}
    return Response(stream_with_context(text), mimetype="text/event-stream", headers=headers)


def _cross_origin_headers() -> dict:
    """CORS headers that let a page of an allowed origin (EVENTS_ALLOWED_ORIGINS: the API
    server's pages, on another port) read the stream it opened with its session cookie."""
    origin = request.headers.get("Origin")
    headers = {"Vary": "Origin"}
    if origin and origin in current_app.config["EVENTS_ALLOWED_ORIGINS"]:
        headers.update({"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"})
    return headers
