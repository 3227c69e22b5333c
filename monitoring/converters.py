"""URL converters for ids in paths.

The reference accepts only canonical lower-case dashed UUIDs in paths (anything else is
"no route", 404); the device data endpoint also takes the 32-hex form without dashes.
"""
from __future__ import annotations

import uuid

from werkzeug.routing import BaseConverter

DASHED = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class UUIDConverter(BaseConverter):
    regex = DASHED

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value) -> str:
        return str(value)


class DevicePkConverter(UUIDConverter):
    regex = rf"(?:{DASHED}|[0-9a-f]{{32}})"


def register(app) -> None:
    app.url_map.converters["uuid"] = UUIDConverter
    app.url_map.converters["device_pk"] = DevicePkConverter


def _uuid_parameter_schema(converter) -> dict:
    return {"type": "string", "format": "uuid"}


def document(api) -> None:
    api.register_converter(UUIDConverter, _uuid_parameter_schema)
    api.register_converter(DevicePkConverter, _uuid_parameter_schema)
