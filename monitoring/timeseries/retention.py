"""Retention (docs/metrics.md §4): whole chunks older than a hypertable's age are dropped
(``drop_chunks``), never single rows. A chunk goes only when all of it is older than the
cut-off, so nothing newer than the age is ever lost; a point may outlive it by up to one
chunk interval."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from monitoring.timeseries.check_tables import SHORT_RETENTION_TABLES
from monitoring.timeseries.tables import HYPERTABLES


def ages(tables: list[str], config: Mapping) -> dict[str, timedelta]:
    """The age of each hypertable's data: an explicit setting (``RETENTION_DAYS_BY_TABLE``),
    else "short" (``SHORT_RETENTION_DAYS``) for the check tables nothing charts, else
    ``RETENTION_DAYS``."""
    result = {}
    for table in tables:
        days = config["RETENTION_DAYS_BY_TABLE"].get(table)
        if days is None:
            days = config["SHORT_RETENTION_DAYS"] if table in SHORT_RETENTION_TABLES else config["RETENTION_DAYS"]
        result[table] = timedelta(days=days)
    return result


def sample_retention(config: Mapping) -> timedelta:
    """How long the points of a device sample are kept: the longest age among the tables a
    sample writes to. A sample older than that would be dropped at once."""
    return max(ages([table.name for table in HYPERTABLES], config).values())


def hypertables(session: Session) -> list[str]:
    """Every hypertable of the application's schema, whoever added it."""
    return list(session.scalars(text(
        "SELECT hypertable_name FROM timescaledb_information.hypertables "
        "WHERE hypertable_schema = current_schema() ORDER BY hypertable_name"
    )))


def drop_old_chunks(session: Session, *, ages: dict[str, timedelta], now: datetime) -> dict[str, int]:
    """Drop the chunks of each hypertable that end before ``now - age``; returns how many
    per table. Commits."""
    dropped = {}
    for table, age in ages.items():
        count = session.execute(
            text("SELECT count(*) FROM drop_chunks(CAST(:table AS regclass),"
                 " older_than => CAST(:cutoff AS timestamptz))"),
            {"table": table, "cutoff": now - age},
        ).scalar()
        dropped[table] = count
    session.commit()
    return dropped
