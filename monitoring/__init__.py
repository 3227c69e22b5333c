"""The monitoring service: application factory."""
from __future__ import annotations

from flask import Flask


def create_app(config_object: object | str = "config.Config") -> Flask:
    """Build the Flask application. ``config_object`` is a class or its import path."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_object)

    # Imported here, not at the top: importing any module of the package runs this file first
    # (``import monitoring.models`` does), and that must not pull in the whole application.
    from monitoring import auth, browsable, cli, converters, database, extensions, replicas, security_schemes
    from monitoring.extensions import api, csrf, db, migrate, remove_session
    from monitoring.observability import app_setup

    app_setup.init_logging(app)  # first: whatever starts next may log

    converters.register(app)
    db.init_app(app)
    with app.app_context():
        database.init_app(app, [*db.engines.values(), database.init_sample_engine(app)])
    replicas.init_app(app)
    app.teardown_appcontext(remove_session)  # runs before Flask-SQLAlchemy's (reverse order)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)
    auth.init_app(app)  # server-side browser sessions in a signed cookie, Secure on HTTPS
    api.init_app(app)
    converters.document(api)
    security_schemes.register(api)
    extensions.register_error_handlers(app)
    app_setup.init_app(app)  # request ids, metrics, request log
    browsable.init_app(app)  # after the request hooks: its pages are timed and logged too

    from blueprints import device_data_fast_path, register_blueprints

    register_blueprints(app, api)
    device_data_fast_path.init_app(app)  # in front of Flask, after the request hooks it shares
    app_setup.trust_proxies(app)  # outermost: every layer sees the client the proxies saw
    cli.register(app)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
