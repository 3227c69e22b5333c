"""API tokens (``/api/v1/users/token/``): obtaining one with a username and password, and
listing, rotating and revoking one's own.

Routes of the ``users`` blueprint (``blueprints/users.py``, ``/api/v1/users``), which declares
them before its users' routes."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from monitoring import errors
from monitoring.auth import authenticated_user, authenticating_token_id, user_required
from monitoring.extensions import Blueprint
from monitoring.services.accounts import login_throttle, tokens
from schemas.common import ErrorSchema
from schemas.tokens import TokenInfoSchema, TokenRequestSchema, TokenSchema

RETRY_AFTER = {"Retry-After": {"description": "Seconds until a login is tried again", "schema": {"type": "integer"}}}


def register_token_routes(blp: Blueprint) -> None:
    """Route the token views on ``blp``, the ``/api/v1/users`` blueprint."""

    @blp.route("/token/")
    class ObtainToken(MethodView):
        @blp.doc(security=[])
        @blp.arguments(TokenRequestSchema)
        @blp.response(200, TokenSchema)
        # Wrong username or password: a 400 with "non_field_errors", like any invalid body.
        @blp.alt_response(400, response="BAD_REQUEST")
        @blp.alt_response(429, schema=ErrorSchema, headers=RETRY_AFTER,
                          description="Too many recent failed logins: try again after Retry-After seconds")
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

        @user_required
        @blp.response(200, TokenInfoSchema(many=True))
        def get(self):
            """List your tokens: when each was issued and last used

            The tokens themselves are not stored and cannot be shown again.
            """
            current = authenticating_token_id()
            return [{"id": row.id, "created": row.created, "last_used": row.last_used, "current": row.id == current}
                    for row in tokens.list_tokens(user=authenticated_user())]


    @blp.route("/token/rotate/")
    class RotateToken(MethodView):
        @user_required
        @blp.response(200, TokenSchema)
        @blp.alt_response(400, schema=ErrorSchema, description="The request was not authenticated with a token")
        def post(self):
            """Replace the token this request uses with a new one

            The old token stops working as the new one is issued (one transaction).
            """
            current = authenticating_token_id()
            if current is None:
                errors.bad_request("Authenticate with the token to rotate (Authorization: Bearer <token>).")
            return {"token": tokens.rotate_token(user=authenticated_user(), current_id=current)}


    @blp.route("/token/<uuid:token_id>/")
    class RevokeToken(MethodView):
        @user_required
        @blp.response(204)
        @blp.alt_response(404, schema=ErrorSchema, description="Not one of your tokens")
        def delete(self, token_id):
            """Revoke one of your tokens (the id comes from the token list)"""
            tokens.revoke(user=authenticated_user(), token_id=token_id)
