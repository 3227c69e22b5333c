from flask.views import MethodView

from blueprints.crud import Resource, register_crud
from monitoring import errors
from monitoring.extensions import Blueprint
from monitoring.services import tokens, users
from schemas.common import ErrorSchema
from schemas.users import TokenRequestSchema, TokenSchema, UserFilterSchema, UserSchema

blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users",
    description="Users, their organization memberships, and API tokens. A manager sees the "
    "members of the organizations they manage, and only those memberships.",
)


@blp.route("/token/")
class ObtainToken(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="Wrong username or password")
    def post(self, credentials):
        """Get an API token for `Authorization: Bearer <token>`

        Each call issues a new token; keep it secret, it is shown once.
        """
        user = users.authenticate(username=credentials["username"], password=credentials["password"])
        if user is None:
            errors.invalid({"non_field_errors": ["Unable to log in with provided credentials."]})
        return {"token": tokens.issue_token(user=user)}


user_routes = Blueprint("user_objects", __name__)
register_crud(user_routes, Resource(
    service=users, schema=UserSchema, filter_schema=UserFilterSchema,
    id_arg="user_id", singular="user", plural="users",
))
blp.register_blueprint(user_routes, url_prefix="/user")
