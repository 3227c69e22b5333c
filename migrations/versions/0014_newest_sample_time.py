"""The newest sample time of each device, beside its snapshot's.

A sample sent as current may be older than the newest one stored; the snapshot it leaves
then no longer holds the newest counters, and traffic increments must come from the stored
points instead.

Revision ID: 0014_newest_sample_time
Revises: 0013_wifi_clients_per_org
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_newest_sample_time'
down_revision = '0013_wifi_clients_per_org'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('device_data', sa.Column('newest_sample_time', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE device_data SET newest_sample_time = sample_time")


def downgrade():
    op.drop_column('device_data', 'newest_sample_time')
