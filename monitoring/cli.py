"""Command-line tasks: ``flask --app wsgi <command>``."""
from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("create-superuser")
    @click.option("--username", required=True)
    @click.option("--password", required=True)
    @click.option("--email", default="")
    def create_superuser(username: str, password: str, email: str) -> None:
        """Create a superuser (or make an existing user one, with this password)."""
        from monitoring.services import users

        user, created = users.ensure_superuser(username=username, password=password, email=email)
        click.echo(f"{'created' if created else 'updated'} superuser {user.username} ({user.id})")

    @app.cli.command("seed-demo")
    @click.option("--devices", type=click.IntRange(1, 500), default=30)
    @click.option("--days", type=click.IntRange(1, 30), default=7)
    def seed_demo(devices: int, days: int) -> None:
        """Create a demo organization, a manager and devices with a week of samples."""
        from monitoring.services import demo

        result = demo.seed_demo(devices=devices, days=days, log=click.echo)
        if result is None:
            click.echo("demo data exists already (organization slug 'demo'): nothing done")
            return
        click.echo(f"created {result.devices} devices with {result.samples} samples in '{result.organization.name}'")
        click.echo(f"manager login: {result.username} / {result.password}")

    @app.cli.command("prune-wifi-sessions")
    @click.option("--days", type=click.IntRange(min=0), default=None,
                  help="age in days (default: WIFI_SESSIONS_RETENTION_DAYS, 180)")
    def prune_wifi_sessions(days: int | None) -> None:
        """Delete WiFi sessions that started more than DAYS days ago, then clients without sessions."""
        from monitoring.services import wifi_session_history

        days = app.config["WIFI_SESSIONS_RETENTION_DAYS"] if days is None else days
        sessions, clients = wifi_session_history.prune(days=days)
        click.echo(f"deleted {sessions} WiFi sessions older than {days} days and {clients} WiFi clients")
