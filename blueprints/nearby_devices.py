"""Devices near a device: ``/api/v1/monitoring/device/{pk}/nearby-devices/``."""
from __future__ import annotations

from flask import request

from monitoring.auth import key_or_user, require_manager
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


def _reference(pk):
    """With a non-empty ``key`` the device itself asks; otherwise a manager."""
    key = request.args.get("key")
    if key:
        return nearby.reference_for_key(device_id=pk, key=key)
    return nearby.reference_for_user(user=require_manager(), device_id=pk)


@blp.route("/<uuid:pk>/nearby-devices/", methods=["GET"])
@key_or_user(_reference, into="reference")
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
