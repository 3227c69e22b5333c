"""Server-side browser sessions, and login throttling that slows attackers down without
locking owners out.

``browser_sessions`` holds one row per logged-in browser (the cookie carries its key):
logging out deletes the row, so a copied cookie stops working. ``login_throttle`` now
counts per username and address pair too (longer keys) and remembers its last failure;
``login_known_addresses`` lists the addresses each user has logged in from.

Sessions started before this revision carry no key and end: their users log in again.

Revision ID: 0011_session_versions
Revises: 0010_exact_rollup_reads
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_session_versions'
down_revision = '0010_exact_rollup_reads'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "browser_sessions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("key_digest", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_browser_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_sessions")),
        sa.UniqueConstraint("key_digest", name=op.f("uq_browser_sessions_key_digest")),
    )
    op.create_index(op.f("ix_browser_sessions_user_id"), "browser_sessions", ["user_id"])
    op.create_index(op.f("ix_browser_sessions_expires_at"), "browser_sessions", ["expires_at"])

    op.create_table(
        "login_known_addresses",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_login_known_addresses_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "address", name=op.f("pk_login_known_addresses")),
    )

    # The old locks mean nothing to the new counts: start afresh.
    op.execute("DELETE FROM login_throttle")
    op.alter_column("login_throttle", "key", type_=sa.String(300))
    op.alter_column("login_throttle", "window_started_at", new_column_name="last_failure_at")


def downgrade():
    op.execute("DELETE FROM login_throttle")
    op.alter_column("login_throttle", "last_failure_at", new_column_name="window_started_at")
    op.alter_column("login_throttle", "key", type_=sa.String(200))
    op.drop_table("login_known_addresses")
    op.drop_table("browser_sessions")
