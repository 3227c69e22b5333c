"""Traffic counters and increments as exact 20-digit numbers.

Interface statistics are 64-bit unsigned counters: values past 2^63 - 1 do not fit a
bigint, and neither does the increment after a reset or a wrap-around of such a counter.

Revision ID: 0009_counters_64bit
Revises: 0008_covering_rollup_keys
"""
from alembic import op

revision = '0009_counters_64bit'
down_revision = '0008_covering_rollup_keys'
branch_labels = None
depends_on = None

COLUMNS = ("rx_bytes", "tx_bytes", "rx_counter", "tx_counter")


def _retype(sql_type):
    changes = ", ".join(f"ALTER COLUMN {name} TYPE {sql_type}" for name in COLUMNS)
    op.execute(f"ALTER TABLE traffic_points {changes}")


def upgrade():
    _retype("numeric(20, 0)")


def downgrade():
    _retype("bigint")
