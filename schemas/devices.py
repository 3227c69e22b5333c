from marshmallow import fields, validate

from monitoring.services.inventory.devices import INVALID_KEY
from schemas.common import BaseSchema, PageArgsSchema, UTCDateTime
from schemas.validators import DEVICE_KEY, IPAddress, MacAddress


class DeviceMonitoringStatusSchema(BaseSchema):
    status = fields.String()


class DeviceSchema(BaseSchema):
    """A device as the management API reads and writes it."""

    id = fields.UUID(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    organization = fields.UUID(required=True, attribute="organization_id")
    group = fields.UUID(allow_none=True, attribute="group_id")
    mac_address = MacAddress(required=True)
    key = fields.String(
        validate=validate.Regexp(DEVICE_KEY, error=INVALID_KEY),
        metadata={"description": "the device's secret, 16 to 64 letters and digits, unique; "
                                 "generated (32 hex digits) when omitted"},
    )
    last_ip = IPAddress(dump_only=True, allow_none=True)
    management_ip = IPAddress(allow_none=True)
    model = fields.String(validate=validate.Length(max=64))
    os = fields.String(validate=validate.Length(max=128))
    system = fields.String(validate=validate.Length(max=128))
    notes = fields.String()
    hardware_id = fields.String(validate=validate.Length(max=32))
    is_deactivated = fields.Boolean(dump_only=True)
    config = fields.Constant(None, dump_only=True, metadata={"description": "always null: no configuration management"})
    monitoring = fields.Nested(DeviceMonitoringStatusSchema, dump_only=True)
    created = UTCDateTime(dump_only=True)
    modified = UTCDateTime(dump_only=True)


class DeviceListItemSchema(DeviceSchema):
    """Lists never reveal device keys (only the device's own detail does)."""

    class Meta(DeviceSchema.Meta):
        exclude = ("key",)


class DeviceFilterSchema(PageArgsSchema):
    organization = fields.UUID()
    group = fields.UUID()
    search = fields.String(
        validate=validate.Regexp(r"^[^\x00]*$", error="Null characters are not allowed."),
        metadata={"description": "part of the name or MAC address"},
    )


class DeviceLocationSchema(BaseSchema):
    location = fields.UUID(required=True, attribute="location_id")
    floorplan = fields.UUID(allow_none=True, load_default=None, attribute="floorplan_id")
    indoor = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": 'position on the floorplan as "<y>,<x>"'},
    )
