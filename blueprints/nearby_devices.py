"""Devices near a device: ``/api/v1/monitoring/device/{pk}/nearby-devices/``."""
from __future__ import annotations

from monitoring.auth import NEARBY_DEVICES_KEY, device_by_key, key_or_user
from monitoring.extensions import Blueprint
from monitoring.replicas import heavy_read
from monitoring.services.geo import nearby_devices as nearby
from schemas.common import ErrorSchema, page_of
from schemas.nearby_devices import NearbyDeviceFilterSchema, NearbyDeviceSchema

blp = Blueprint(
    "nearby_devices", __name__, url_prefix="/api/v1/monitoring/device",
    description="Devices near a device, nearest first. A device may ask with its own key (`?key=`) "
    "and then sees the devices of its organization.",
)


@blp.route("/<uuid:pk>/nearby-devices/", methods=["GET"])
@key_or_user(
    by_key=lambda pk, key: nearby.reference_for_device(
        device=device_by_key(NEARBY_DEVICES_KEY, nearby.located_device(pk), key)),
    by_user=lambda user, pk: nearby.reference_for_user(user=user, device_id=pk),
    into="reference",
)
@heavy_read
@blp.arguments(NearbyDeviceFilterSchema, location="query")
@blp.response(200, page_of(NearbyDeviceSchema))
@blp.alt_response(404, schema=ErrorSchema, description="The device has no location, is not visible, or the key "
                  "is wrong")
def nearby_devices(args, reference):
    """List the located devices near a device

    `distance` is the great-circle distance in metres (sphere of radius 6371008.7714 m),
    rounded. Devices whose location has no coordinates come last, with a null distance.
    """
    args.pop("key", None)
    return nearby.list_page(reference=reference, **args)
