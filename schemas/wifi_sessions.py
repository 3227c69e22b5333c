"""WiFi sessions as the reference renders them (docs/api.md §9.2)."""
from marshmallow import fields

from schemas.common import BaseSchema, UTCDateTime
from schemas.filters import ChoiceUUID, FilterDateTime, FilterSchema, QueryBoolean


def _capability(name: str) -> fields.Function:
    # The reference renders these three as the strings "True"/"False" (kept for compatibility, docs/api.md §15.16:
    # clients compare them as strings).
    return fields.Function(
        lambda client: None if getattr(client, name) is None else str(getattr(client, name)),
        allow_none=True, metadata={"type": "string", "enum": ["True", "False"], "nullable": True},
    )


class WifiClientSchema(BaseSchema):
    mac_address = fields.String()
    vendor = fields.String(allow_none=True)
    wifi6 = _capability("he")
    wifi5 = _capability("vht")
    wifi4 = _capability("ht")
    wmm = fields.Boolean()
    wds = fields.Boolean()
    wps = fields.Boolean()


class WifiSessionSchema(BaseSchema):
    """A row of (session, device name, organization name, client)."""

    id = fields.UUID(attribute="WifiSession.id")
    organization = fields.String(attribute="organization_name", metadata={"description": "organization name"})
    device = fields.String(attribute="device_name", metadata={"description": "device name"})
    ssid = fields.String(attribute="WifiSession.ssid", allow_none=True)
    interface_name = fields.String(attribute="WifiSession.interface_name")
    client = fields.Nested(WifiClientSchema, attribute="WifiClient")
    start_time = UTCDateTime(attribute="WifiSession.start_time")
    stop_time = UTCDateTime(attribute="WifiSession.stop_time", allow_none=True)
    modified = UTCDateTime(attribute="WifiSession.modified")


def _time_filters() -> dict:
    filters = {}
    for column in ("start_time", "stop_time"):
        filters[column] = FilterDateTime(metadata={"description": f"{column} equal to (ISO 8601; UTC if no offset)"})
        for lookup, meaning in (("gt", "after"), ("gte", "at or after"), ("lt", "before"), ("lte", "at or before")):
            filters[f"{column}__{lookup}"] = FilterDateTime(metadata={"description": f"{column} {meaning}"})
    return filters


WifiSessionFilterSchema = FilterSchema.from_dict(
    {
        "device__organization": ChoiceUUID(metadata={"description": "organization id"}),
        "device": ChoiceUUID(metadata={"description": "device id"}),
        "device__group": ChoiceUUID(metadata={"description": "device group id"}),
        **_time_filters(),
        "stop_time__isnull": QueryBoolean(metadata={"description": "`true`: open sessions, `false`: closed ones"}),
    },
    name="WifiSessionFilterSchema",
)
