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
