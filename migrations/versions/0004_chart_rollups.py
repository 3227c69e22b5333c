"""Chart rollups.

Revision ID: 0004_chart_rollups
Revises: 0003_locations_geo
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0004_chart_rollups'
down_revision = '0003_locations_geo'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
