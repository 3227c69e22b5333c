"""A metric's alert settings: ``/api/v1/monitoring/device/{pk}/metric/{id}/alert-settings/``.

Its blueprint, ``device_health``, is one OpenAPI tag for a device's health settings: the
device's checks (``blueprints/checks.py``) are routed on it too."""
from __future__ import annotations

from flask.views import MethodView

from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from monitoring.services.health import alert_settings
from schemas.alert_settings import AlertSettingsSchema
from schemas.common import ErrorSchema

blp = Blueprint(
    "device_health", __name__, url_prefix="/api/v1/monitoring/device",
    description="Health settings of a device: when a metric is unhealthy (alert settings) and the active "
    "checks the worker runs (ping, data collected, WiFi clients).",
)


@blp.route("/<uuid:pk>/metric/<uuid:metric_id>/alert-settings/")
class AlertSettings(MethodView):
    @manager_required
    @blp.response(200, AlertSettingsSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such device or metric, or a metric without alerts")
    def get(self, pk, metric_id):
        """Read a metric's alert settings (effective values and defaults)"""
        return alert_settings.get(user=authenticated_user(), device_id=pk, metric_id=metric_id)

    @manager_required
    @blp.arguments(AlertSettingsSchema(partial=True))
    @blp.response(200, AlertSettingsSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such device or metric, or a metric without alerts")
    def patch(self, data, pk, metric_id):
        """Change a metric's alert settings

        Sets custom values; null (or the default's value) goes back to the default. One
        invalid field changes nothing (400 naming it).
        """
        return alert_settings.update(user=authenticated_user(), device_id=pk, metric_id=metric_id, data=data)
