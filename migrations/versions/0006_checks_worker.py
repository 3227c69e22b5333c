"""Active checks and the worker: the points of the data-collected and WiFi-clients checks,
one check per type and device, recovery requests, organization webhooks with their outbox,
and the worker's record of job runs.

Revision ID: 0006_checks_worker
Revises: 0005_health
"""
import os

import sqlalchemy as sa
from alembic import op

revision = '0006_checks_worker'
down_revision = '0005_health'
branch_labels = None
depends_on = None

# One chunk per day, like the other raw hypertables: retention drops whole days.
CHUNK_INTERVAL = os.environ.get("TIMESERIES_CHUNK_INTERVAL", "1 day")

# Every notification event of an organization with an active webhook gets one outbox row,
# whichever code path wrote the notification (a device sample or a check) and however many
# recipients it has: the rows of one event share organization, device, metric, type and
# time, and the unique index keeps one. Statement-level, so a sample's notifications cost
# one extra statement, and nothing at all while no webhook is configured.
WEBHOOK_OUTBOX_TRIGGER = """
CREATE FUNCTION notifications_enqueue_webhooks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (id, organization_id, device_id, metric_id, type, level, message,
                                    event_time, attempts, next_attempt_at, created)
    SELECT DISTINCT ON (n.organization_id, n.device_id, n.metric_id, n.type, n.timestamp)
           gen_random_uuid(), n.organization_id, n.device_id, n.metric_id, n.type, n.level, n.message,
           n.timestamp, 0, now(), now()
    FROM inserted n
    JOIN notification_webhooks w ON w.organization_id = n.organization_id AND w.is_active
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER notifications_webhooks
    AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_enqueue_webhooks();
"""


def _hypertable(table):
    op.execute(
        sa.text(
            f"SELECT create_hypertable('{table}', by_range('time', CAST(:interval AS interval)),"
            " create_default_indexes => false)"
        ).bindparams(interval=CHUNK_INTERVAL)
    )


def upgrade():
    op.create_table(
        'data_collected_points',
        sa.Column('time', sa.DateTime(timezone=True), nullable=False),
        sa.Column('device_id', sa.UUID(), nullable=False),
        sa.Column('data_collected', sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint('device_id', 'time', name='pk_data_collected_points'),
    )
    op.create_table(
        'wifi_client_count_points',
        sa.Column('time', sa.DateTime(timezone=True), nullable=False),
        sa.Column('device_id', sa.UUID(), nullable=False),
        sa.Column('clients_max', sa.Integer(), nullable=False),
        sa.Column('clients_min', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('device_id', 'time', name='pk_wifi_client_count_points'),
    )
    _hypertable('data_collected_points')
    _hypertable('wifi_client_count_points')

    # Devices that existed before automatic checks get theirs from the worker.
    op.add_column('device_monitoring', sa.Column('checks_created', sa.Boolean(), server_default='false',
                                                 nullable=False))
    op.create_unique_constraint('uq_checks_device_id_check_type', 'checks', ['device_id', 'check_type'])

    op.create_table(
        'check_requests',
        sa.Column('device_id', sa.UUID(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_check_requests_device_id_devices'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('device_id', name=op.f('pk_check_requests')),
    )
    op.create_table(
        'notification_webhooks',
        sa.Column('organization_id', sa.UUID(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
        sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_notification_webhooks_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_notification_webhooks')),
    )
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('organization_id', sa.UUID(), nullable=False),
        sa.Column('device_id', sa.UUID(), nullable=True),
        sa.Column('metric_id', sa.UUID(), nullable=True),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('event_time', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_webhook_deliveries_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_webhook_deliveries_device_id_devices'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_webhook_deliveries_metric_id_metrics'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    )
    op.create_index('uq_webhook_deliveries_event', 'webhook_deliveries',
                    ['organization_id', 'device_id', 'metric_id', 'type', 'event_time'],
                    unique=True, postgresql_nulls_not_distinct=True)
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['next_attempt_at'],
                    postgresql_where=sa.text('next_attempt_at IS NOT NULL'))
    op.create_table(
        'worker_jobs',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_duration_ms', sa.Integer(), nullable=True),
        sa.Column('last_summary', sa.Text(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_jobs')),
    )
    op.execute(WEBHOOK_OUTBOX_TRIGGER)


def downgrade():
    op.execute("DROP TRIGGER notifications_webhooks ON notifications")
    op.execute("DROP FUNCTION notifications_enqueue_webhooks()")
    op.drop_table('worker_jobs')
    op.drop_table('webhook_deliveries')
    op.drop_table('notification_webhooks')
    op.drop_table('check_requests')
    op.drop_constraint('uq_checks_device_id_check_type', 'checks', type_='unique')
    op.drop_column('device_monitoring', 'checks_created')
    op.drop_table('wifi_client_count_points')
    op.drop_table('data_collected_points')
