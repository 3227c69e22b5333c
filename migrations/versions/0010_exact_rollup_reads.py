"""Charts exact at every moment: late points are marked per device, and a refresh announces
the watermark it is about to reach.

``rollup_backlog`` gains the device whose points made an hour stale (null: every device) and
loses its key: one row per late sample, so that a refresh deletes exactly the marks it saw
and a mark committed meanwhile survives. ``rollup_state.pending`` is the announced watermark;
``watermark`` may be null (announced, never reached).

Revision ID: 0010_exact_rollup_reads
Revises: 0009_counters_64bit
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010_exact_rollup_reads'
down_revision = '0009_counters_64bit'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('rollup_state', sa.Column('pending', sa.DateTime(timezone=True), nullable=True))
    op.alter_column('rollup_state', 'watermark', nullable=True)
    op.drop_constraint('pk_rollup_backlog', 'rollup_backlog', type_='primary')
    op.add_column('rollup_backlog', sa.Column('device_id', postgresql.UUID(as_uuid=True), nullable=True))
    op.create_index('ix_rollup_backlog_device_hour', 'rollup_backlog', ['device_id', 'hour'])


def downgrade():
    op.drop_index('ix_rollup_backlog_device_hour', table_name='rollup_backlog')
    op.drop_column('rollup_backlog', 'device_id')
    op.execute("DELETE FROM rollup_backlog a USING rollup_backlog b WHERE a.ctid < b.ctid AND a.hour = b.hour")
    op.create_primary_key('pk_rollup_backlog', 'rollup_backlog', ['hour'])
    op.execute("DELETE FROM rollup_state WHERE watermark IS NULL")
    op.alter_column('rollup_state', 'watermark', nullable=False)
    op.drop_column('rollup_state', 'pending')
