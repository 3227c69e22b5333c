"""One flask-smorest Blueprint per resource. Views are thin: parse, check access, call a
service, return."""
from __future__ import annotations

from flask import Flask

from monitoring.extensions import Api


def register_blueprints(app: Flask, api: Api) -> None:
    from blueprints import (
        alert_settings,
        assets,
        auth,
        availability,
        checks,
        dashboard,
        device_monitoring,
        devices,
        email_deliveries,
        email_preferences,
        events,
        floorplans,
        groups,
        health,
        locations,
        maintenance,
        map_data,
        metrics,
        nearby_devices,
        notifications,
        organizations,
        users,
        webhooks,
        wifi_sessions,
    )

    # Each blueprint is a tag of the OpenAPI document, in this order. A blueprint that two
    # modules share (alert settings and checks; notifications, webhooks and e-mails) is registered once.
    api_blueprints = (
        health.blp, auth.blp, organizations.blp, users.blp, groups.blp, devices.blp, locations.blp,
        floorplans.blp, device_monitoring.blp, nearby_devices.blp, map_data.geojson_blp, map_data.location_blp,
        wifi_sessions.blp, dashboard.blp, availability.blp, events.blp, alert_settings.blp, checks.blp,
        maintenance.blp, notifications.blp, webhooks.blp, email_preferences.blp, email_deliveries.blp,
    )
    for blp in dict.fromkeys(api_blueprints):
        api.register_blueprint(blp)
    # Static files are not API operations: plain Flask blueprints, kept out of the docs.
    app.register_blueprint(assets.docs_assets)
    app.register_blueprint(assets.media)
    app.register_blueprint(metrics.metrics)
