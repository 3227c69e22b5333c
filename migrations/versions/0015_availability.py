"""Availability rollups: per device and hour (and day), the five-minute slots the ping and
data-collected checks judged, how many of them down, and the first one up; filled from the
points already stored.

Revision ID: 0015_availability
Revises: 0014_newest_sample_time
"""
import os

import sqlalchemy as sa
from alembic import op

revision = '0015_availability'
down_revision = '0014_newest_sample_time'
branch_labels = None
depends_on = None

# As the chart rollups (0004): a month per chunk.
ROLLUP_CHUNK_INTERVAL = os.environ.get("ROLLUP_CHUNK_INTERVAL", "30 days")

SLOTS = """
WITH ping AS (
    SELECT device_id, time_bucket('5 minutes', time) AS slot, bool_or(reachable = 1) AS ping_up
    FROM ping_points GROUP BY 1, 2
), collected AS (
    SELECT device_id, time_bucket('5 minutes', time) AS slot, bool_or(data_collected = 1) AS data_up
    FROM data_collected_points GROUP BY 1, 2
), slots AS (
    SELECT device_id, slot, (ping_up IS FALSE OR data_up IS FALSE) AS down
    FROM ping FULL JOIN collected USING (device_id, slot)
)
INSERT INTO availability_rollups (device_id, grain, time, slots, down_slots, first_up)
SELECT device_id, interval '1 hour', time_bucket('1 hour', slot),
       count(*), count(*) FILTER (WHERE down), min(slot) FILTER (WHERE NOT down)
FROM slots GROUP BY device_id, time_bucket('1 hour', slot)
"""

DAYS = """
INSERT INTO availability_rollups (device_id, grain, time, slots, down_slots, first_up)
SELECT device_id, interval '1 day', time_bucket('1 day', time), sum(slots), sum(down_slots), min(first_up)
FROM availability_rollups WHERE grain = interval '1 hour'
GROUP BY device_id, time_bucket('1 day', time)
"""


def upgrade():
    op.create_table(
        'availability_rollups',
        sa.Column('device_id', sa.UUID(), nullable=False),
        sa.Column('grain', sa.Interval(), nullable=False),
        sa.Column('time', sa.DateTime(timezone=True), nullable=False),
        sa.Column('slots', sa.Integer(), nullable=False),
        sa.Column('down_slots', sa.Integer(), nullable=False),
        sa.Column('first_up', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('device_id', 'grain', 'time', name='pk_availability_rollups',
                                postgresql_include=['slots', 'down_slots', 'first_up']),
    )
    op.execute(
        sa.text(
            "SELECT create_hypertable('availability_rollups', by_range('time', CAST(:interval AS interval)),"
            " create_default_indexes => false)"
        ).bindparams(interval=ROLLUP_CHUNK_INTERVAL)
    )
    op.execute(SLOTS)
    op.execute(DAYS)


def downgrade():
    op.drop_table('availability_rollups')
