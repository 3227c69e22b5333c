"""Why a metric is unhealthy: since when, and the reading that crossed its threshold.

Metrics unhealthy before this revision keep null in both until they recover.

Revision ID: 0017_problem_reasons
Revises: 0016_maintenance_windows
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_problem_reasons'
down_revision = '0016_maintenance_windows'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('metrics', sa.Column('unhealthy_since', sa.DateTime(timezone=True), nullable=True))
    op.add_column('metrics', sa.Column('unhealthy_value', sa.Float(), nullable=True))
    # Devices in problem are listed with their unhealthy metrics: found by device at once.
    op.create_index('ix_metrics_unhealthy', 'metrics', ['device_id'], postgresql_where=sa.text('is_healthy IS FALSE'))


def downgrade():
    op.drop_index('ix_metrics_unhealthy', table_name='metrics')
    op.drop_column('metrics', 'unhealthy_value')
    op.drop_column('metrics', 'unhealthy_since')
