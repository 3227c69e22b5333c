"""A device's health settings: its metrics' alert settings and its active checks
(``/api/v1/monitoring/device/{pk}/metric/{id}/alert-settings/``, ``…/device/{pk}/check/``)."""
from __future__ import annotations

from flask.views import MethodView

from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from monitoring.services import alert_settings, checks
from schemas.common import ErrorSchema, page_of
from schemas.device_health import AlertSettingsSchema, CheckListArgsSchema, CheckSchema

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


@blp.route("/<uuid:pk>/check/")
class DeviceChecks(MethodView):
    @manager_required
    @blp.arguments(CheckListArgsSchema, location="query")
    @blp.response(200, page_of(CheckSchema))
    @blp.alt_response(404, schema=ErrorSchema, description="No such device, or one of another organization")
    def get(self, args, pk):
        """List a device's checks, by name"""
        return checks.list_page(user=authenticated_user(), device_id=pk, **args)

    @manager_required
    @blp.arguments(CheckSchema)
    @blp.response(201, CheckSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such device, or one of another organization")
    def post(self, data, pk):
        """Add a check to a device (one per type)"""
        return checks.create(user=authenticated_user(), device_id=pk, data=data)


@blp.route("/<uuid:pk>/check/<uuid:check_id>/")
class DeviceCheck(MethodView):
    @manager_required
    @blp.response(200, CheckSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such check on this device")
    def get(self, pk, check_id):
        """Read a check"""
        return checks.get(user=authenticated_user(), device_id=pk, check_id=check_id)

    @manager_required
    @blp.arguments(CheckSchema(partial=True))
    @blp.response(200, CheckSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such check on this device")
    def patch(self, data, pk, check_id):
        """Change a check's name, activation or parameters

        Disabling a ping or data-collected check makes the device's status `unknown`.
        """
        return checks.update(user=authenticated_user(), device_id=pk, check_id=check_id, data=data)

    @manager_required
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such check on this device")
    def delete(self, pk, check_id):
        """Delete a check

        Deleting a ping or data-collected check makes the device's status `unknown`.
        """
        checks.delete(user=authenticated_user(), device_id=pk, check_id=check_id)
