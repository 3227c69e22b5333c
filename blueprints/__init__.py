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
        organizations,
        users,
    )

    for module in (
        health, auth, organizations, users, groups, devices, locations, floorplans, device_monitoring,
    ):
        api.register_blueprint(module.blp)
    # Static files are not API operations: plain Flask blueprints, kept out of the docs.
    app.register_blueprint(assets.docs_assets)
    app.register_blueprint(assets.media)
