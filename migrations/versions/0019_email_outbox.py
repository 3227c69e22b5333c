"""E-mail notifications: each user's choice per organization (no e-mail, every
notification, or a digest) and the e-mail outbox, one row per notification row (that is, per
recipient), filled by a trigger on ``notifications`` and sent by the worker.

Revision ID: 0019_email_outbox
Revises: 0018_events
"""
import sqlalchemy as sa
from alembic import op

revision = '0019_email_outbox'
down_revision = '0018_events'
branch_labels = None
depends_on = None

# Every notification row whose recipient has an e-mail address and has not chosen "none"
# for the organization gets one outbox row, whichever path wrote it (a sample, a check, the
# release of a maintenance window). Without a choice, a user gets digests, as OpenWISP does.
# Statement-level: a sample's notifications cost one extra statement.
EMAIL_OUTBOX_TRIGGER = """
CREATE FUNCTION notifications_enqueue_emails() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO email_deliveries (id, notification_id, mode, state, attempts, next_attempt_at, created)
    SELECT gen_random_uuid(), n.id, COALESCE(p.mode, 'digest'), 'pending', 0, now(), now()
    FROM inserted n
    JOIN users u ON u.id = n.recipient_id AND u.email <> ''
    LEFT JOIN email_preferences p ON p.user_id = n.recipient_id AND p.organization_id = n.organization_id
    WHERE COALESCE(p.mode, 'digest') <> 'none';
    RETURN NULL;
END
$$;
CREATE TRIGGER notifications_emails
    AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_enqueue_emails();
"""


def upgrade():
    op.create_table(
        'email_preferences',
        sa.Column('user_id', sa.UUID(), nullable=False),
        sa.Column('organization_id', sa.UUID(), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("mode IN ('none', 'every', 'digest')", name=op.f('ck_email_preferences_mode')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_preferences_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_email_preferences_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'organization_id', name=op.f('pk_email_preferences')),
    )
    op.create_table(
        'email_deliveries',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('notification_id', sa.UUID(), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), server_default='pending', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('message_id', sa.String(length=255), nullable=True),
        sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed', 'skipped')",
                           name=op.f('ck_email_deliveries_state')),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_email_deliveries_notification_id_notifications'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_deliveries')),
        sa.UniqueConstraint('notification_id', name=op.f('uq_email_deliveries_notification_id')),
    )
    op.create_index('ix_email_deliveries_due', 'email_deliveries', ['next_attempt_at'],
                    postgresql_where=sa.text('next_attempt_at IS NOT NULL'))
    op.execute(EMAIL_OUTBOX_TRIGGER)


def downgrade():
    op.execute("DROP TRIGGER notifications_emails ON notifications")
    op.execute("DROP FUNCTION notifications_enqueue_emails()")
    op.drop_table('email_deliveries')
    op.drop_table('email_preferences')
