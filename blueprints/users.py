"""Users and their organization memberships: ``/api/v1/users/user/``.

The ``users`` blueprint (``/api/v1/users``) also carries the API tokens' routes
(``blueprints/tokens.py``), declared first."""
from flask import request

from blueprints.crud import Resource, register_crud
from blueprints.tokens import register_token_routes
from monitoring.auth import authenticating_session_id, authenticating_token_id
from monitoring.extensions import Blueprint
from monitoring.services.accounts import users
from schemas.users import UserFilterSchema, UserSchema

blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users",
    description="Users, their organization memberships, and API tokens. A manager sees the "
    "members of the organizations they manage, and only those memberships.",
)
register_token_routes(blp)

user_routes = Blueprint("user_objects", __name__)
register_crud(user_routes, Resource(
    service=users, schema=UserSchema, filter_schema=UserFilterSchema,
    id_arg="user_id", singular="user", plural="users",
    # Changing one's own password checks the current one, throttled per address like a login,
    # and keeps the session or token it is changed with.
    extra_update_args=lambda: {"address": request.remote_addr, "credentials": users.CallerCredentials(
        session_id=authenticating_session_id(), token_id=authenticating_token_id())},
))
blp.register_blueprint(user_routes, url_prefix="/user")
