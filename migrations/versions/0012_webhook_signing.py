"""A secret per organization webhook, the key of the signatures of its deliveries.

Webhooks that exist already get a random secret of their own; their receivers learn it from
the webhook's GET (superusers).

The revision id keeps the name this revision was released with (databases record it); only
the file is named after what it adds, the signing key.

Revision ID: 0012_webhook_secrets
Revises: 0011_session_versions
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0012_webhook_secrets'
down_revision = '0011_session_versions'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('notification_webhooks', sa.Column('secret', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    existing = connection.execute(sa.text("SELECT organization_id FROM notification_webhooks")).scalars().all()
    for organization_id in existing:
        connection.execute(sa.text("UPDATE notification_webhooks SET secret = :secret WHERE organization_id = :id"),
                           {"secret": secrets.token_hex(32), "id": organization_id})
    op.alter_column('notification_webhooks', 'secret', nullable=False)


def downgrade():
    op.drop_column('notification_webhooks', 'secret')
