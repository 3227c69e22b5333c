from flask.views import MethodView

from blueprints.crud import Resource, register_crud
from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from monitoring.services.inventory import devices
from schemas.devices import DeviceFilterSchema, DeviceListItemSchema, DeviceLocationSchema, DeviceSchema

blp = Blueprint(
    "devices", __name__, url_prefix="/api/v1/controller/device",
    description="Devices (routers, access points). Creating one also creates its monitoring "
    "status `unknown`. Only a deactivated device can be deleted. Keys are shown only in a "
    "device's own responses, never in lists.",
)

register_crud(blp, Resource(
    service=devices, schema=DeviceSchema, list_schema=DeviceListItemSchema,
    filter_schema=DeviceFilterSchema, id_arg="device_id", singular="device", plural="devices",
))


@blp.route("/<uuid:device_id>/deactivate/", methods=["POST"])
@manager_required
@blp.response(200, DeviceSchema)
def deactivate(device_id):
    """Deactivate a device: it rejects data and shows status `deactivated`"""
    return devices.set_deactivated(user=authenticated_user(), device_id=device_id, deactivated=True)


@blp.route("/<uuid:device_id>/activate/", methods=["POST"])
@manager_required
@blp.response(200, DeviceSchema)
def activate(device_id):
    """Activate a deactivated device; its status is `unknown` until its next sample"""
    return devices.set_deactivated(user=authenticated_user(), device_id=device_id, deactivated=False)


@blp.route("/<uuid:device_id>/location/")
class DeviceLocation(MethodView):
    @manager_required
    @blp.response(200, DeviceLocationSchema)
    def get(self, device_id):
        """Where the device is (404 until a location is set)"""
        return devices.get_location(user=authenticated_user(), device_id=device_id)

    @manager_required
    @blp.arguments(DeviceLocationSchema)
    @blp.response(200, DeviceLocationSchema)
    def put(self, data, device_id):
        """Set the device's location, and optionally its floorplan and indoor position"""
        return devices.set_location(user=authenticated_user(), device_id=device_id, data=data)

    @manager_required
    @blp.response(204)
    def delete(self, device_id):
        """Remove the device from its location"""
        devices.delete_location(user=authenticated_user(), device_id=device_id)
