"""Command-line tasks: ``flask --app wsgi <command>``."""
from __future__ import annotations

from datetime import UTC, timedelta

import click
from flask import Flask

from monitoring import worker
from monitoring.extensions import db
from monitoring.services.accounts import users
from monitoring.services.checks import snooze
from monitoring.services.demo import seed
from monitoring.services.geo import wifi_sessions
from monitoring.timeseries.rollups import refresh_rollups


def register(app: Flask) -> None:
    @app.cli.command("create-superuser")
    @click.option("--username", required=True)
    @click.option("--password", required=True)
    @click.option("--email", default="")
    def create_superuser(username: str, password: str, email: str) -> None:
        """Create a superuser (or make an existing user one, with this password)."""
        user, created = users.ensure_superuser(username=username, password=password, email=email)
        click.echo(f"{'created' if created else 'updated'} superuser {user.username} ({user.id})")

    @app.cli.command("seed-demo")
    @click.option("--devices", type=click.IntRange(1, 500), default=30)
    @click.option("--days", type=click.IntRange(1, 30), default=7)
    @click.option("--interval-minutes", type=click.IntRange(1, 60), default=5, help="time between samples")
    def seed_demo(devices: int, days: int, interval_minutes: int) -> None:
        """Create a demo organization, a manager and devices with a week of samples."""
        result = seed.seed_demo(devices=devices, days=days, interval_minutes=interval_minutes, log=click.echo)
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
        days = app.config["WIFI_SESSIONS_RETENTION_DAYS"] if days is None else days
        sessions, clients = wifi_sessions.prune(days=days)
        click.echo(f"deleted {sessions} WiFi sessions older than {days} days and {clients} WiFi clients")

    @app.cli.command("refresh-rollups")
    @click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
                  default=None, help="recompute from this UTC time (default: a little before the last refresh)")
    def refresh_rollups_command(since) -> None:
        """Bring the chart rollups up to date with the raw points."""
        lookback = timedelta(minutes=app.config["ROLLUP_REFRESH_LOOKBACK_MINUTES"])
        result = refresh_rollups(db.session, since=since.replace(tzinfo=UTC) if since else None, lookback=lookback)
        click.echo(f"refreshed {result.hours} hours ({result.rows} rollup rows); "
                   f"watermark {result.watermark.isoformat()}")

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="one pass over the jobs that are due, then exit")
    @click.option("--job", "job_names", multiple=True, help="only this job (repeatable)")
    @click.option("--stop-with", type=int, default=None, help="exit when the process with this id ends")
    def worker_command(once: bool, job_names: tuple[str, ...], stop_with: int | None) -> None:
        """Run the periodic jobs: checks, recovery checks, webhooks, rollups, retention, WiFi sessions."""
        try:
            snooze.validate(app.config["WIFI_CLIENTS_CHECK_SNOOZE_SCHEDULE"])
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="WIFI_CLIENTS_CHECK_SNOOZE_SCHEDULE") from exc
        jobs = worker.default_jobs(app.config)
        unknown = set(job_names) - {job.name for job in jobs}
        if unknown:
            raise click.BadParameter(f"unknown job {', '.join(sorted(unknown))}; jobs: "
                                     + ", ".join(job.name for job in jobs), param_hint="--job")
        if job_names:
            jobs = [job for job in jobs if job.name in job_names]
        if once:
            ran = worker.run_due(app, jobs)
            click.echo(f"ran {', '.join(ran) if ran else 'nothing (not due, or running elsewhere)'}")
            return
        worker.run_forever(app, jobs, tick=app.config["WORKER_TICK_SECONDS"], stop_with=stop_with)
