"""One flask-smorest Blueprint per resource. Views are thin: parse, check access, call a
service, return."""
from __future__ import annotations

from flask import Flask

from monitoring.extensions import Api


def register_blueprints(app: Flask, api: Api) -> None:
    from blueprints import (
        assets,
        auth,
        device_monitoring,
        devices,
        floorplans,
        groups,
        health,
        locations,
        metrics,
        organizations,
        users,
    )

    for module in (
        health, auth, organizations, users, groups, devices, locations, floorplans, device_monitoring,
    ):
        api.register_blueprint(module.blp)
    # Nearby devices, map data, WiFi sessions.
    from blueprints import geojson, location_monitoring, nearby_devices, wifi_sessions

    for module in (nearby_devices, geojson, location_monitoring, wifi_sessions):
        api.register_blueprint(module.blp)
    # Charts: the dashboard (device charts are read from device_monitoring's URL).
    from blueprints import dashboard

    api.register_blueprint(dashboard.blp)
    # Health settings (alert settings, checks) and notifications.
    from blueprints import device_health, notifications

    for module in (device_health, notifications):
        api.register_blueprint(module.blp)
    # Static files are not API operations: plain Flask blueprints, kept out of the docs.
    app.register_blueprint(assets.docs_assets)
    app.register_blueprint(assets.media)
    app.register_blueprint(metrics.metrics)
