from marshmallow import fields

from monitoring.models import HEALTH_STATUSES
from schemas.common import BaseSchema
from schemas.filters import Choice, ChoiceUUID, FilterSchema, Number
from schemas.validators import IPAddress


class NearbyDeviceFilterSchema(FilterSchema):
    key = fields.String(metadata={"description": "the key of the device `{pk}`: lists its organization's "
                                                 "devices without user credentials"})
    organization = ChoiceUUID(metadata={"description": "organization id"})
    organization_slug = fields.String(metadata={"description": "organization slug"})
    organization__slug = fields.String(metadata={"description": "the same as `organization_slug`"})
    monitoring__status = Choice(HEALTH_STATUSES, metadata={"description": "health status"})
    model = fields.String(metadata={"description": "device models separated by `|`, e.g. "
                                                   "`TP-Link Archer C50|TP-Link Archer C60`"})
    distance__lte = Number(metadata={"description": "only devices at most this many metres away"})


class NearbyDeviceSchema(BaseSchema):
    id = fields.UUID()
    name = fields.String()
    organization = fields.UUID(attribute="organization_id")
    group = fields.UUID(attribute="group_id", allow_none=True)
    mac_address = fields.String()
    management_ip = IPAddress(allow_none=True)
    model = fields.String()
    os = fields.String()
    system = fields.String()
    notes = fields.String()
    distance = fields.Float(
        allow_none=True,
        metadata={"description": "metres on a sphere of radius 6371008.7714 m, rounded; null when either "
                                 "location has no coordinates"},
    )
    monitoring_status = fields.String()
    monitoring_data = fields.Raw(allow_none=True, metadata={"description": "the latest NetJSON sample, or null"})
