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


class DashboardSchema(ChartsSchema):
    organizations = fields.List(fields.Nested(OrganizationChoiceSchema),
                                metadata={"description": "present when the user may choose among several"})
