"""A user's choice of notification e-mails for an organization."""
from __future__ import annotations

from marshmallow import fields, validate

from monitoring.models import EMAIL_MODES
from schemas.common import BaseSchema

MODES_DESCRIPTION = ("`none`: no e-mail; `every`: one e-mail per notification (a problem and its recovery "
                     "within `EMAIL_COLLAPSE_SECONDS` in one); `digest` (the default): the first at once, then "
                     "at most one e-mail every `EMAIL_BATCH_INTERVAL` with all that came meanwhile")


class EmailPreferenceSchema(BaseSchema):
    organization = fields.UUID(attribute="organization_id", dump_only=True)
    organization_name = fields.String(dump_only=True)
    mode = fields.String(required=True, validate=validate.OneOf(EMAIL_MODES),
                         metadata={"enum": list(EMAIL_MODES), "description": MODES_DESCRIPTION})
    is_default = fields.Boolean(dump_only=True, metadata={"description": "no choice made: the default applies"})
