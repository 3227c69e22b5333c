from marshmallow import ValidationError, fields, validate

from monitoring.auth import authenticated_user
from monitoring.services.accounts import users
from schemas.common import BaseSchema, PageArgsSchema, UTCDateTime


class MembershipSchema(BaseSchema):
    organization = fields.UUID(required=True, attribute="organization_id")
    is_admin = fields.Boolean(load_default=False)


class UserSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    username = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=150),
            validate.Regexp(r"^[\w.@+-]+$", error="Enter a valid username: letters, digits and @/./+/-/_ only."),
        ],
    )
    # A user created without an email has "" (as in the reference), which is no "email"
    # format: the document says so instead of promising an address.
    email = fields.Email(metadata={"format": "email-or-empty", "description": "An email address, or empty"})
    first_name = fields.String(validate=validate.Length(max=150))
    last_name = fields.String(validate=validate.Length(max=150))
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=128))
    current_password = fields.String(
        load_only=True, validate=validate.Length(max=128),
        metadata={"description": "Your password as it is now: required to change your own password "
                                 "(not somebody else's)"},
    )
    is_superuser = fields.Boolean()
    is_active = fields.Boolean()
    organization_users = fields.Method(
        "visible_memberships",
        deserialize="load_memberships",
        metadata={"description": 'memberships: [{"organization": "<uuid>", "is_admin": true}]'},
    )
    date_joined = UTCDateTime(dump_only=True)
    last_login = UTCDateTime(dump_only=True, allow_none=True)

    def visible_memberships(self, user):
        # Only the memberships of the organizations the caller manages are shown.
        return MembershipSchema(many=True).dump(users.visible_memberships(user, viewer=authenticated_user()))

    def load_memberships(self, value):
        # Checked here because marshmallow runs the item hooks before it checks for a list.
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        return MembershipSchema(many=True).load(value)


class UserFilterSchema(PageArgsSchema):
    organization = fields.UUID()
