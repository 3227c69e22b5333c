"""Availability reports (docs/availability.md): their parameters and what they answer."""
from __future__ import annotations

from marshmallow import fields
from marshmallow.utils import get_value

from schemas.charts import ChartArgsSchema
from schemas.common import BaseSchema, UTCDateTime
from schemas.filters import ChoiceUUID, FilterSchema


def _seconds(attribute: str, description: str) -> fields.Function:
    def seconds(obj):
        value = get_value(obj, attribute)
        return None if value is None else round(value.total_seconds())
    return fields.Function(seconds, allow_none=True, metadata={"type": "integer", "description": description})


class DeviceAvailabilityArgsSchema(ChartArgsSchema):
    """The range of a report, as the charts take it (`csv=true`: the outages as CSV)."""


class AvailabilityArgsSchema(DeviceAvailabilityArgsSchema):
    """The range, the filters and the page of devices (`csv=true`: every device as CSV)."""

    class Meta(FilterSchema.Meta):
        pass

    organization = ChoiceUUID(metadata={"description": "organization id"})
    organization_slug = fields.String(metadata={"description": "organization slug"})
    group = ChoiceUUID(metadata={"description": "device group id"})
    location = ChoiceUUID(metadata={"description": "location id"})
    device = ChoiceUUID(metadata={"description": "device id"})


class OutageSchema(BaseSchema):
    start = UTCDateTime(metadata={"description": "start of the first down slot"})
    end = UTCDateTime(metadata={"description": "start of the first up slot after it; the period's end when "
                                               "`ongoing`"})
    duration = _seconds("duration", "seconds from start to end")
    cause = fields.String(metadata={"enum": ["ping", "data", "both"],
                                    "description": "unreachable by ping, no data collected, or both"})
    ongoing = fields.Boolean(metadata={"description": "still down at the period's end"})


class MaintenanceSpanSchema(BaseSchema):
    window = fields.UUID(attribute="window_id", metadata={"description": "the maintenance window's id"})
    name = fields.String(metadata={"description": "the maintenance window's name"})
    start = UTCDateTime(attribute="begins", metadata={"description": "start of the occurrence"})
    end = UTCDateTime(attribute="ends", metadata={"description": "end of the occurrence"})


class TallyFields(BaseSchema):
    availability = fields.Float(attribute="tally.availability", allow_none=True,
                                metadata={"description": "percent of the monitored time up; null when nothing "
                                                         "was monitored"})
    monitored = _seconds("tally.monitored", "seconds with a check verdict (five-minute slots)")
    downtime = _seconds("tally.downtime", "seconds of the monitored time down")
    outages_count = fields.Integer(attribute="tally.outage_count")
    mtbf = _seconds("tally.mtbf", "mean time between failures: up seconds per outage; null without outages")


class DeviceRefSchema(BaseSchema):
    id = fields.UUID()
    name = fields.String()
    organization = fields.UUID(attribute="organization_id")
    group = fields.UUID(attribute="group_id", allow_none=True)


class LocationRefSchema(BaseSchema):
    id = fields.UUID()
    name = fields.String()


class DeviceAvailabilitySchema(TallyFields):
    device = fields.Nested(DeviceRefSchema)
    location = fields.Nested(LocationRefSchema, allow_none=True)
    mttr = _seconds("tally.mttr", "mean time to recovery: mean seconds of the outages that ended; null without")
    outages = fields.List(fields.Nested(OutageSchema), attribute="tally.outages")
    maintenance = fields.List(
        fields.Nested(MaintenanceSpanSchema), attribute="tally.maintenance",
        metadata={"description": "the occurrences of the maintenance windows covering the device that overlap "
                                 "the period, by start; the five-minute slots they touch are not counted"})


class DeviceAvailabilityReportSchema(DeviceAvailabilitySchema):
    start = UTCDateTime()
    end = UTCDateTime()


class AggregateSchema(TallyFields):
    id = fields.UUID(allow_none=True)
    name = fields.String()
    slug = fields.String(allow_none=True, metadata={"description": "organizations only"})
    devices = fields.Integer()


class AvailabilityReportSchema(BaseSchema):
    start = UTCDateTime(metadata={"description": "first instant of the period"})
    end = UTCDateTime(metadata={"description": "last instant of the period"})
    timezone = fields.String()
    summary = fields.Nested(AggregateSchema, metadata={"description": "every selected device"})
    organizations = fields.List(fields.Nested(AggregateSchema))
    groups = fields.List(fields.Nested(AggregateSchema))
    locations = fields.List(fields.Nested(AggregateSchema))
    count = fields.Integer(required=True, metadata={"description": "devices selected"})
    next = fields.String(allow_none=True, metadata={"format": "uri"})
    previous = fields.String(allow_none=True, metadata={"format": "uri"})
    results = fields.List(fields.Nested(DeviceAvailabilitySchema), required=True,
                          metadata={"description": "one page of devices, by name"})
