"""Nearby devices, map data and WiFi session queries.

Revision ID: 0003_locations_geo
Revises: 0002_monitoring_data
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0003_locations_geo'
down_revision = '0002_monitoring_data'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
