"""The network-wide dashboard (docs/api.md §11)."""
from __future__ import annotations

from marshmallow import fields

from schemas.charts import ChartArgsSchema, ChartsSchema
from schemas.common import BaseSchema


class DashboardArgsSchema(ChartArgsSchema):
    organization_slug = fields.String(metadata={"description": "comma-separated organization slugs"})
    location_id = fields.String(metadata={"description": "comma-separated location ids"})
    floorplan_id = fields.String(metadata={"description": "comma-separated floorplan ids"})


class OrganizationChoiceSchema(BaseSchema):
    id = fields.String(metadata={"description": "the organization's slug"})
    text = fields.String(metadata={"description": "the organization's name"})


class DeviceCountsSchema(BaseSchema):
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(),
                            metadata={"description": "devices per health status (every status, 0 included)"})
    by_problem = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "per metric key: devices in problem or critical with that metric unhealthy"})


class DashboardSchema(ChartsSchema):
    devices = fields.Nested(DeviceCountsSchema, metadata={
        "description": "the devices of the selected organizations, locations and floorplans, by status and "
                       "by problem"})
    organizations = fields.List(fields.Nested(OrganizationChoiceSchema),
                                metadata={"description": "present when the user may choose among several"})
