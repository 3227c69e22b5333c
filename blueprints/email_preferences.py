"""A user's notification e-mails per organization: ``/api/v1/notifications/email-preference/``.

Routes of the ``notifications`` blueprint of ``blueprints/notifications.py`` (one OpenAPI
tag), declared after the notifications."""
from __future__ import annotations

from flask.views import MethodView

from blueprints.notifications import blp
from monitoring.auth import authenticated_user, user_required
from monitoring.services.notifications import email_preferences
from schemas.common import ErrorSchema, PageArgsSchema, page_of
from schemas.email_preferences import EmailPreferenceSchema


@blp.route("/email-preference/", methods=["GET"])
@user_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(EmailPreferenceSchema))
def list_email_preferences(args):
    """List your e-mail choices, one per organization you belong to"""
    return email_preferences.list_page(user=authenticated_user(), **args)


@blp.route("/email-preference/<uuid:organization_id>/")
class EmailPreference(MethodView):
    @user_required
    @blp.response(200, EmailPreferenceSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Not an organization you belong to")
    def get(self, organization_id):
        """Read your e-mail choice for an organization"""
        return email_preferences.get(user=authenticated_user(), organization_id=organization_id)

    @user_required
    @blp.arguments(EmailPreferenceSchema)
    @blp.response(200, EmailPreferenceSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Not an organization you belong to")
    def put(self, data, organization_id):
        """Choose which notification e-mails you get of an organization

        Applies to the notifications written from now on. E-mails go to your account's
        address; the worker sends them (`docs/alerting.md`, "E-mail notifications").
        """
        return email_preferences.choose(user=authenticated_user(), organization_id=organization_id,
                                        mode=data["mode"])
