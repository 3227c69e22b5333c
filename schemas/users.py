from marshmallow import fields, validate

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
    email = fields.Email()
    first_name = fields.String(validate=validate.Length(max=150))
    last_name = fields.String(validate=validate.Length(max=150))
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=128))
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
        from monitoring.services.users import visible_memberships

        return MembershipSchema(many=True).dump(visible_memberships(user))

    def load_memberships(self, value):
        return MembershipSchema(many=True).load(value)


class UserFilterSchema(PageArgsSchema):
    organization = fields.UUID()


class TokenRequestSchema(BaseSchema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(BaseSchema):
    token = fields.String(required=True)
