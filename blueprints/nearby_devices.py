"""Devices near a device: ``/api/v1/monitoring/device/{pk}/nearby-devices/``."""
from __future__ import annotations

from functools import wraps

from flask import request

from monitoring.auth import require_manager
from monitoring.extensions import Blueprint
from monitoring.security_schemes import DEVICE_AUTH, USER_AUTH
from monitoring.services import nearby
from schemas.common import ErrorSchema, page_of
from schemas.nearby import NearbyDeviceFilterSchema, NearbyDeviceSchema

blp = Blueprint(
    "nearby_devices", __name__, url_prefix="/api/v1/monitoring/device",
    description="Devices near a device, nearest first. A device may ask with its own key (`?key=`) "
    "and then sees the devices of its organization.",
)


def device_key_or_manager(view):
    """With a non-empty ``key`` the device itself asks; otherwise a manager. Either way the
    reference device is resolved first: no 400 about filters before the caller is let in."""

    @wraps(view)
    def wrapper(*args, pk, **kwargs):
        key = request.args.get("key")
        if key:
            reference = nearby.reference_for_key(device_id=pk, key=key)
        else:
            reference = nearby.reference_for_user(user=require_manager(), device_id=pk)
        return view(*args, reference=reference, **kwargs)

    apidoc = wrapper.__dict__.setdefault("_apidoc", {})
    apidoc.setdefault("manual_doc", {}).setdefault("security", USER_AUTH + DEVICE_AUTH)
    return wrapper


@blp.route("/<uuid:pk>/nearby-devices/", methods=["GET"])
@device_key_or_manager
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
