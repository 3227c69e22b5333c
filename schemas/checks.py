"""A device's active checks, each with its latest result."""
from __future__ import annotations

from marshmallow import fields, validate

from monitoring.registry import CHECK_TYPES
from monitoring.services.checks.results import RESULT_STATUSES
from schemas.common import BaseSchema, PageArgsSchema, UTCDateTime


class CheckResultSchema(BaseSchema):
    """What the check last did, read from what is stored: no request runs a check."""

    status = fields.String(validate=validate.OneOf(RESULT_STATUSES), metadata={
        "description": "`measured`: it ran (see `time` and `values`); `skipped`: the worker does not run it "
                       "now (see `reason`), e.g. a ping check of a device without an address to ping, which "
                       "stores nothing and leaves the device's health alone; `pending`: it has not run yet"})
    reason = fields.String(allow_none=True, metadata={
        "description": "why it is skipped or pending, e.g. `The device has no management IP: it is not pinged.`"})
    time = UTCDateTime(allow_none=True, metadata={
        "description": "when it last measured (kept when it is skipped now); null if it never did"})
    values = fields.Dict(allow_none=True, metadata={
        "description": "what it last measured: ping `reachable` (0/1), `loss` (%), `rtt_min`, `rtt_avg`, "
                       "`rtt_max` (ms, null when unreachable); data_collected `data_collected` (0/1); "
                       "wifi_clients `clients_max`, `clients_min`; null if it never measured"})


class CheckSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    name = fields.String(validate=validate.Length(min=1, max=64),
                         metadata={"description": "default: the type's label, e.g. `Ping`"})
    check_type = fields.String(required=True, validate=validate.OneOf(list(CHECK_TYPES)),
                               metadata={"description": "`ping`, `data_collected` or `wifi_clients`"})
    is_active = fields.Boolean()
    params = fields.Dict(allow_none=True, metadata={
        "description": "ping: `count` (2–20), `interval` (ms, 10–1000), `bytes` (12–65508), `timeout` "
                       "(ms, 5–1500); other types take none"})
    result = fields.Nested(CheckResultSchema, dump_only=True, metadata={"description": "its latest result"})


class CheckListArgsSchema(PageArgsSchema):
    pass
