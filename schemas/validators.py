"""Field types with the normalisation the management API promises."""
from __future__ import annotations

import ipaddress
import re

from marshmallow import ValidationError, fields, missing

_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")
_MAC_FORMS = re.compile(
    r"^(?:[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}|[0-9a-f]{12})$"
)
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
# A device key a client chooses: at least 16 characters, so that keys cannot be found by
# trying (generated ones are 32 hex digits, as OpenWISP's registration derives on the device).
DEVICE_KEY = re.compile(r"^[a-zA-Z0-9]{16,64}$")


def normalise_mac(value: str) -> str:
    """'00-11-22-AA-BB-CC', '0011.22aa.bbcc', '001122aabbcc' -> '00:11:22:aa:bb:cc'."""
    text = value.strip().lower()
    if not _MAC_FORMS.match(text):
        raise ValidationError("Enter a valid MAC address.")
    digits = re.sub(r"[^0-9a-f]", "", text)
    assert _MAC_HEX.match(digits)
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


class MacAddress(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return normalise_mac(super()._deserialize(value, attr, data, **kwargs))


class IPAddress(fields.String):
    """An IPv4/IPv6 address; an empty string means none (rendered as null)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text == "":
            return None
        try:
            return str(ipaddress.ip_address(text))
        except ValueError as exc:
            raise ValidationError("Enter a valid IPv4 or IPv6 address.") from exc

    def _serialize(self, value, attr, obj, **kwargs):
        return value or None


class WholeNumber(fields.Integer):
    """An integer, as a JSON number or (from a form) a string; 1.5 is invalid, not 1."""

    def __init__(self, **kwargs):
        super().__init__(strict=False, **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class GeoPoint(fields.Field):
    """A GeoJSON Point ``{"type": "Point", "coordinates": [lng, lat]}`` or null.

    Loads to a ``(longitude, latitude)`` tuple; dumps from the object's two columns.
    """

    def get_value(self, obj, attr, accessor=None, default=missing):
        # No single attribute holds the point: ``_serialize`` reads the two columns.
        return obj

    def _serialize(self, value, attr, obj, **kwargs):
        if obj.longitude is None or obj.latitude is None:
            return None
        return {"type": "Point", "coordinates": [obj.longitude, obj.latitude]}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or value.get("type") != "Point":
            raise ValidationError('Expected a GeoJSON Point: {"type": "Point", "coordinates": [lng, lat]}.')
        coordinates = value.get("coordinates")
        if (
            not isinstance(coordinates, list)
            or len(coordinates) != 2
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coordinates)
        ):
            raise ValidationError("Point coordinates must be two numbers: [longitude, latitude].")
        longitude, latitude = (float(c) for c in coordinates)
        if not -180 <= longitude <= 180 or not -90 <= latitude <= 90:
            raise ValidationError("Coordinates out of range: longitude -180..180, latitude -90..90.")
        return longitude, latitude
