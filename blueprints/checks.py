"""A device's active checks: ``/api/v1/monitoring/device/{pk}/check/``.

They are routes of the ``device_health`` blueprint of ``blueprints/alert_settings.py`` (one
OpenAPI tag for a device's health settings), declared after the alert settings."""
from __future__ import annotations

from flask.views import MethodView

from blueprints.alert_settings import blp
from monitoring.auth import authenticated_user, manager_required
from monitoring.services.checks import checks
from schemas.checks import CheckListArgsSchema, CheckSchema
from schemas.common import ErrorSchema, page_of


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
