"""The device monitoring resource: devices POST their status here (and, later, users read
charts and status from the same URL)."""
from __future__ import annotations

from flask import Response, request

from monitoring.extensions import Blueprint
from monitoring.security_schemes import DEVICE_AUTH
from monitoring.services import ingest
from schemas.common import ErrorSchema
from schemas.device_data import DEVICE_MONITORING_BODY, DeviceDataArgsSchema

blp = Blueprint(
    "device_monitoring", __name__, url_prefix="/api/v1/monitoring/device",
    description="Device monitoring data. Devices authenticate with their key (`?key=`).",
)


@blp.route("/<device_pk:pk>/", methods=["POST"])
@blp.arguments(DeviceDataArgsSchema, location="query")
@blp.doc(
    security=DEVICE_AUTH,
    requestBody={"required": True, "content": {"application/json": {"schema": DEVICE_MONITORING_BODY}}},
    responses={"200": {"description": "Stored (empty body): every point of the sample is committed."}},
)
@blp.alt_response(400, description="Invalid JSON, NetJSON schema error (a JSON string), or bad `time`")
@blp.alt_response(403, schema=ErrorSchema, description="Missing or wrong key")
@blp.alt_response(404, schema=ErrorSchema, description="Unknown or deactivated device, or disabled organization")
@blp.alt_response(413, schema=ErrorSchema, description="Body too large")
@blp.alt_response(415, schema=ErrorSchema, description="Body is not application/json")
def post_device_data(args, pk):
    """Send a NetJSON DeviceMonitoring sample

    The sample is written (snapshot, metric points, WiFi sessions, health) before the answer:
    200 means it is stored. Resending a sample with the same `time` adds nothing.
    """
    ingest.receive(
        device_id=pk, key=args.get("key"), stream=request.stream, content_length=request.content_length,
        mimetype=request.mimetype, time=args.get("time"), current=args.get("current"),
    )
    return Response(b"", status=200, mimetype="application/json")
