"""Retention (spec metrics.md §4): whole chunks older than a hypertable's age are dropped
(``drop_chunks``), never single rows. A chunk goes only when all of it is older than the
cut-off, so nothing newer than the age is ever lost; a point may outlive it by up to one
chunk interval."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session


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
