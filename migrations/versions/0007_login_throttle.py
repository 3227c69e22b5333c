"""Login throttling: recent failed logins per username and per client address.

Revision ID: 0007_login_throttle
Revises: 0006_checks_worker
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_login_throttle'
down_revision = '0006_checks_worker'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )


def downgrade():
    op.drop_table("login_throttle")
