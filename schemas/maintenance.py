"""Maintenance windows and the notifications they held."""
from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from marshmallow import ValidationError, fields, validate

from schemas.common import BaseSchema, UTCDateTime
from schemas.filters import ChoiceUUID, FilterSchema, QueryBoolean

# ISO weekday numbers, as the database stores them
WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
WEEK_MINUTES = 7 * 24 * 60


class Weekday(fields.String):
    """A day of the week by its three-letter English name (``mon`` … ``sun``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})["enum"] = list(WEEKDAYS)
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else list(WEEKDAYS)[value - 1]

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        name = super()._deserialize(value, attr, data, **kwargs)
        if name not in WEEKDAYS:
            raise ValidationError(f"Not a day of the week: use one of {', '.join(WEEKDAYS)}.")
        return WEEKDAYS[name]


class TimeZoneName(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        if name not in zoneinfo.available_timezones():
            raise ValidationError("Not a known time zone: use an IANA name such as Europe/Rome or UTC.")
        return name


class AwareDateTime(fields.AwareDateTime):
    """A date-time given with or without an offset (then UTC), kept and shown in UTC. Years
    outside 1970–9000 are refused: nobody plans maintenance there, and a duration added to
    the last representable date would overflow."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not 1970 <= moment.year <= 9000:
            raise ValidationError("The year must be between 1970 and 9000.")
        return moment.astimezone(UTC)

    _serialize = UTCDateTime._serialize


class RecurrenceSchema(BaseSchema):
    days = fields.List(Weekday(), required=True, validate=validate.Length(min=1, max=7),
                       metadata={"description": "days of the week an occurrence starts on"})
    time = fields.Time(required=True, format="%H:%M", metadata={
        "description": "local time of day the occurrence starts at, `HH:MM`, in the window's `timezone`"})
    duration = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=WEEK_MINUTES),
                              metadata={"description": "minutes each occurrence lasts (elapsed time)"})


class MaintenanceWindowSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    organization = fields.UUID(required=True, attribute="organization_id")
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    description = fields.String()
    start = AwareDateTime(attribute="starts_at", metadata={
        "description": "when the window (or its recurrence) begins; default: now"})
    end = AwareDateTime(attribute="ends_at", allow_none=True, metadata={
        "description": "when it ends; required without `recurrence` (or give `duration`), "
                       "optional with one (null: it recurs for ever)"})
    duration = fields.Integer(load_only=True, strict=True, validate=validate.Range(min=1, max=366 * 24 * 60),
                              metadata={"description": "instead of `end`: minutes from the start (an ad-hoc "
                                                       "silence from now when `start` is not given)"})
    recurrence = fields.Nested(RecurrenceSchema, allow_none=True, metadata={
        "description": "weekly occurrences, e.g. `{\"days\": [\"sun\"], \"time\": \"02:00\", "
                       "\"duration\": 120}`; null for a one-off window"})
    timezone = TimeZoneName(metadata={"description": "IANA time zone of the recurrence's time of day "
                                                     "(default `UTC`)"})
    whole_organization = fields.Boolean(metadata={"description": "covers every device of the organization "
                                                                 "(then no lists of targets)"})
    devices = fields.List(fields.UUID(), attribute="device_ids", metadata={"description": "devices covered"})
    groups = fields.List(fields.UUID(), attribute="group_ids",
                         metadata={"description": "device groups whose devices are covered"})
    locations = fields.List(fields.UUID(), attribute="location_ids",
                            metadata={"description": "locations whose devices are covered"})
    is_open = fields.Boolean(dump_only=True, metadata={"description": "the window holds notifications now"})
    created = UTCDateTime(dump_only=True)
    modified = UTCDateTime(dump_only=True)


class MaintenanceWindowFilterSchema(FilterSchema):
    organization = ChoiceUUID(metadata={"description": "organization id"})
    organization_slug = fields.String(metadata={"description": "organization slug"})
    is_open = QueryBoolean(metadata={"description": "only windows open now (`true`) or not (`false`)"})


class HeldNotificationSchema(BaseSchema):
    id = fields.UUID()
    type = fields.String()
    level = fields.String()
    message = fields.String()
    device = fields.UUID(attribute="device_id")
    metric = fields.UUID(attribute="metric_id", allow_none=True)
    timestamp = UTCDateTime(attribute="event_time", metadata={"description": "when it would have been sent"})
    released_at = UTCDateTime(allow_none=True, metadata={
        "description": "when the device left maintenance (null: still held)"})
    sent = fields.Boolean(allow_none=True, metadata={
        "description": "sent when released (the device was still in that state), or dropped"})
