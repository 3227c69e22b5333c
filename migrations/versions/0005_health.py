"""Health: active checks and problem/recovery notifications.

Revision ID: 0005_health
Revises: 0004_chart_rollups
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005_health'
down_revision = '0004_chart_rollups'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'checks',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('device_id', sa.UUID(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('check_type', sa.String(length=32), nullable=False),
        sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
        sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
        sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_checks_device_id_devices'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checks')),
        sa.UniqueConstraint('device_id', 'name', name=op.f('uq_checks_device_id_name')),
    )
    op.create_index(op.f('ix_checks_device_id'), 'checks', ['device_id'], unique=False)
    op.create_table(
        'notifications',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('recipient_id', sa.UUID(), nullable=False),
        sa.Column('organization_id', sa.UUID(), nullable=True),
        sa.Column('device_id', sa.UUID(), nullable=True),
        sa.Column('metric_id', sa.UUID(), nullable=True),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('unread', sa.Boolean(), server_default='true', nullable=False),
        sa.Column('timestamp', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_notifications_device_id_devices'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_notifications_metric_id_metrics'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_notifications_organization_id_organizations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_notifications_recipient_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )
    op.create_index('ix_notifications_recipient_time', 'notifications', ['recipient_id', 'timestamp'], unique=False)
    op.create_index(op.f('ix_notifications_device_id'), 'notifications', ['device_id'], unique=False)
    op.create_index(op.f('ix_notifications_organization_id'), 'notifications', ['organization_id'], unique=False)


def downgrade():
    op.drop_table('notifications')
    op.drop_table('checks')
