"""The device monitoring resource: devices POST their status here; users (or the device,
with its key) read its status and charts from the same URL. Also the device list with
health status and a device's metrics."""
from __future__ import annotations

from flask import Response, request

from blueprints.chart_export import CSV_SCHEMA, chart_headers, csv_response
from monitoring.auth import (
    DEVICE_DETAIL_KEY,
    DEVICE_SAMPLE_KEY,
    authenticated_user,
    device_by_key,
    key_or_user,
    manager_required,
)
from monitoring.extensions import Blueprint
from monitoring.observability.prometheus_metrics import record_points_written
from monitoring.replicas import heavy_read
from monitoring.security_schemes import DEVICE_AUTH
from monitoring.services.charts import device as device_charts
from monitoring.services.charts import window as chart_window
from monitoring.services.charts.builder import charts_csv
from monitoring.services.health import status
from monitoring.services.ingest import samples
from schemas.common import ErrorSchema, page_of
from schemas.device_monitoring import (
    DEVICE_MONITORING_BODY,
    DeviceDataArgsSchema,
    DeviceDetailArgsSchema,
    DeviceDetailSchema,
    MetricFilterSchema,
    MetricSchema,
    MonitoringDeviceFilterSchema,
    MonitoringDeviceSchema,
)

# One instance for every sample (it keeps no state): given the class, the argument parser
# would build a schema, copying its fields, on each request of the busiest endpoint.
DEVICE_DATA_ARGS = DeviceDataArgsSchema()

# Where the layer in front of Flask (``device_data_fast_path.py``) leaves, in the WSGI
# environment, the exception that kept it from storing a sample: the view raises it again
# rather than trying the sample a second time.
LAYER_REFUSAL = "monitoring.device_sample_refusal"

blp = Blueprint(
    "device_monitoring", __name__, url_prefix="/api/v1/monitoring/device",
    description="Device monitoring data. Devices send it with their key (`?key=`); users and the "
    "device itself read status and charts.",
)


@blp.route("/<device_pk:pk>/", methods=["POST"])
@blp.arguments(DEVICE_DATA_ARGS, location="query")
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
    refused = request.environ.get(LAYER_REFUSAL)
    if refused is not None:
        raise refused  # the layer in front of Flask tried this very sample: its answer stands
    points = store_posted_sample(pk, key=args.get("key"), stream=request.stream,
                                 content_length=request.content_length, mimetype=request.mimetype,
                                 time=args.get("time"), current=args.get("current"))
    record_points_written(points)  # committed: count what the sample stored
    return Response(b"", status=200, mimetype="application/json")


def store_posted_sample(pk, *, key: str | None, stream, content_length: int | None, mimetype: str,
                        time: str | None, current: bool | None) -> dict:
    """A device's POST once its request is read, whichever way it came: the view above, or
    the path in front of Flask that answers most of them (``device_data_fast_path.py``).
    The key is judged against the device the sample's transaction found; the sample is
    stored and committed, or the exception that refuses it is raised before anything is.
    Returns the points stored, by table."""
    with samples.begun_sample(pk) as sample:
        device_by_key(DEVICE_SAMPLE_KEY, sample.device, key)
        return samples.receive(sample, stream=stream, content_length=content_length, mimetype=mimetype,
                               time=time, current=bool(current))


@blp.route("/<device_pk:pk>/", methods=["GET"])
@key_or_user(
    by_key=lambda pk, key: device_by_key(DEVICE_DETAIL_KEY, device_charts.find_device(pk), key),
    by_user=lambda user, pk: device_charts.device_for_user(user=user, device_id=pk),
    into="device",
)
@heavy_read
@blp.arguments(DeviceDetailArgsSchema, location="query")
@blp.response(200, DeviceDetailSchema)
@blp.alt_response(200, schema=CSV_SCHEMA, content_type="text/csv",
                  description="JSON; with `csv=true` the charts as CSV")
@blp.alt_response(400, description="Invalid chart parameter: a JSON list with one message, "
                  'e.g. `["Time range not supported (expected Nd, 1 ≤ N ≤ 365)"]`')
@blp.alt_response(403, schema=ErrorSchema, description="Wrong key, or a device of another organization")
@blp.alt_response(404, schema=ErrorSchema, description="Unknown device, or its organization is disabled")
def get_device_detail(args, device):
    """Read a device's status and charts

    The device's fields, its health status with its metrics, and every chart of its metrics
    that has data in the window; `x` holds the bucket labels every chart's values line up
    with. `csv=true` answers the charts as CSV instead.
    """
    window = chart_window.window_from(args)
    if args.get("csv"):
        return csv_response(charts_csv(device_charts.device_charts(device=device, window=window)),
                            headers=chart_headers(args))
    return (device_charts.report(device=device, window=window, with_data=args.get("status", False)),
            chart_headers(args))


@blp.route("/", methods=["GET"])
@manager_required
@heavy_read
@blp.arguments(MonitoringDeviceFilterSchema, location="query")
@blp.response(200, page_of(MonitoringDeviceSchema))
def list_devices(args):
    """List devices with their health status, by name"""
    return status.list_page(user=authenticated_user(), **args)


@blp.route("/<uuid:pk>/metric/", methods=["GET"])
@manager_required
@heavy_read
@blp.arguments(MetricFilterSchema, location="query")
@blp.response(200, MetricSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema, description="Unknown device, or one of another organization")
def list_metrics(args, pk):
    """List a device's metrics with their health"""
    return status.metrics(user=authenticated_user(), device_id=pk, **args)
