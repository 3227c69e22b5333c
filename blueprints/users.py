from flask import request
from flask.views import MethodView

from blueprints.crud import Resource, register_crud
from monitoring import errors
from monitoring.extensions import Blueprint
from monitoring.services import login_throttle, tokens, users
from schemas.common import ErrorSchema
from schemas.users import TokenRequestSchema, TokenSchema, UserFilterSchema, UserSchema

blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users",
    description="Users, their organization memberships, and API tokens. A manager sees the "
    "members of the organizations they manage, and only those memberships.",
)

RETRY_AFTER = {"Retry-After": {"description": "Seconds until a login is tried again", "schema": {"type": "integer"}}}


@blp.route("/token/")
class ObtainToken(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenSchema)
    # Wrong username or password: a 400 with "non_field_errors", like any invalid body.
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(429, schema=ErrorSchema, headers=RETRY_AFTER,
                      description="Too many failed logins for this username or from this address")
    def post(self, credentials):
        """Get an API token for `Authorization: Bearer <token>`

        Each call issues a new token; keep it secret, it is shown once.
        """
        try:
            user = login_throttle.attempt_login(username=credentials["username"], password=credentials["password"],
                                                address=request.remote_addr)
        except login_throttle.LoginLocked as locked:
            errors.too_many_logins(locked.retry_after)
        if user is None:
            errors.invalid({"non_field_errors": ["Unable to log in with provided credentials."]})
        return {"token": tokens.issue_token(user=user)}


user_routes = Blueprint("user_objects", __name__)
register_crud(user_routes, Resource(
    service=users, schema=UserSchema, filter_schema=UserFilterSchema,
    id_arg="user_id", singular="user", plural="users",
))
blp.register_blueprint(user_routes, url_prefix="/user")
