"""Live events: what changes in an organization (device status, notifications, devices
created, deactivated or activated), written by triggers in the writer's own transaction and
announced with NOTIFY, which PostgreSQL delivers only once that transaction commits.

Revision ID: 0018_events
Revises: 0017_problem_reasons
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_events'
down_revision = '0017_problem_reasons'
branch_labels = None
depends_on = None

TRIGGERS = """
CREATE FUNCTION events_announce() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('monitoring_events', NEW.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER events_announce AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_announce();

-- Deferred to the commit: the problem reasons are the metrics unhealthy once every change
-- of the transaction is made, whatever order it made them in.
CREATE FUNCTION events_device_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (organization_id, type, data)
    SELECT d.organization_id, 'device_status',
           jsonb_build_object(
               'device', jsonb_build_object('id', d.id, 'name', d.name),
               'status', NEW.status, 'previous_status', OLD.status,
               'reasons', COALESCE((SELECT jsonb_agg(m.name ORDER BY m.name) FROM metrics m
                                    WHERE m.device_id = d.id AND m.is_healthy IS FALSE), '[]'::jsonb))
    FROM devices d WHERE d.id = NEW.device_id;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER events_device_status AFTER UPDATE OF status ON device_monitoring
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION events_device_status();

-- One event per notification, however many recipients it has, and however many statements
-- of the transaction wrote them (now() is the transaction's start: its events share it).
CREATE FUNCTION events_notifications() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (organization_id, type, data)
    SELECT fresh.organization_id, 'notification', fresh.data
    FROM (SELECT DISTINCT n.organization_id,
                 jsonb_build_object('notification', jsonb_build_object('type', n.type, 'level', n.level,
                                                                       'message', n.message, 'metric', n.metric_id,
                                                                       'timestamp', n.timestamp),
                                    'device', CASE WHEN d.id IS NULL THEN NULL
                                                   ELSE jsonb_build_object('id', d.id, 'name', d.name) END) AS data
          FROM inserted n LEFT JOIN devices d ON d.id = n.device_id
          WHERE n.organization_id IS NOT NULL) fresh
    WHERE NOT EXISTS (SELECT 1 FROM events e
                      WHERE e.created = now() AND e.type = 'notification'
                        AND e.organization_id = fresh.organization_id AND e.data = fresh.data);
    RETURN NULL;
END
$$;
CREATE TRIGGER events_notifications AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION events_notifications();

CREATE FUNCTION events_devices() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (organization_id, type, data)
    VALUES (NEW.organization_id,
            CASE WHEN TG_OP = 'INSERT' THEN 'device_created'
                 WHEN NEW.is_deactivated THEN 'device_deactivated' ELSE 'device_activated' END,
            jsonb_build_object('device', jsonb_build_object('id', NEW.id, 'name', NEW.name)));
    RETURN NULL;
END
$$;
CREATE TRIGGER events_devices_created AFTER INSERT ON devices FOR EACH ROW EXECUTE FUNCTION events_devices();
CREATE TRIGGER events_devices_deactivated AFTER UPDATE OF is_deactivated ON devices
    FOR EACH ROW WHEN (OLD.is_deactivated IS DISTINCT FROM NEW.is_deactivated) EXECUTE FUNCTION events_devices();
"""


def upgrade():
    op.create_table(
        'events',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column('organization_id', sa.UUID(), sa.ForeignKey('organizations.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('data', sa.dialects.postgresql.JSONB(), nullable=False),
        sa.Column('created', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index('ix_events_organization_id', 'events', ['organization_id', 'id'])
    op.create_index('ix_events_created', 'events', ['created'])
    op.execute(TRIGGERS)


def downgrade():
    op.execute("DROP TRIGGER events_devices_deactivated ON devices; DROP TRIGGER events_devices_created ON devices;"
               " DROP TRIGGER events_notifications ON notifications;"
               " DROP TRIGGER events_device_status ON device_monitoring;")
    op.drop_table('events')
    op.execute("DROP FUNCTION events_devices(); DROP FUNCTION events_notifications();"
               " DROP FUNCTION events_device_status(); DROP FUNCTION events_announce();")
