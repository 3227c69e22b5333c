"""Maintenance windows: an organization's periods (one-off, or weekly in a time zone) during
which the problem and recovery notifications of the devices they cover are held back, and
what each window held.

Whether a window is open at an instant, and whether a device is covered, are SQL functions:
the device list, its filter and the notification trigger all ask the same question the same
way. The trigger holds a notification whichever code path writes it (a device sample or a
check), before any recipient's row or webhook delivery exists.

Revision ID: 0016_maintenance_windows
Revises: 0015_availability
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0016_maintenance_windows'
down_revision = '0015_availability'
branch_labels = None
depends_on = None

# A weekly occurrence starts at ``time_of_day`` on one of ``days`` (ISO: 1 Monday … 7 Sunday)
# as the clocks of ``zone`` show it, and lasts ``minutes`` (elapsed time, so a window that
# crosses a DST change is as long as any other). A local start time the clocks skip when they
# spring forward starts at the jump. Occurrences that began up to ``minutes`` before ``at``
# are looked at, so one that runs past midnight (or for days) covers its whole span.
FUNCTIONS = """
CREATE FUNCTION maintenance_window_open(starts_at timestamptz, ends_at timestamptz, days smallint[],
                                        time_of_day time, minutes integer, zone text, at timestamptz)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT at >= starts_at AND (ends_at IS NULL OR at < ends_at) AND (
        days IS NULL OR EXISTS (
            SELECT 1
            FROM generate_series(0, ceil(minutes / 1440.0)::int) AS back(n),
                 LATERAL (SELECT (at AT TIME ZONE zone)::date - back.n AS day) d,
                 LATERAL (SELECT (d.day + time_of_day) AT TIME ZONE zone AS begins) o
            WHERE extract(isodow FROM d.day)::smallint = ANY (days)
              AND at >= o.begins AND at < o.begins + make_interval(mins => minutes)))
$$;

CREATE FUNCTION device_maintenance_windows(device uuid, at timestamptz)
RETURNS SETOF uuid LANGUAGE sql STABLE AS $$
    SELECT w.id
    FROM devices d
    JOIN maintenance_windows w ON w.organization_id = d.organization_id
    LEFT JOIN device_locations dl ON dl.device_id = d.id
    WHERE d.id = device
      AND maintenance_window_open(w.starts_at, w.ends_at, w.recurrence_days, w.recurrence_time,
                                  w.recurrence_minutes, w.timezone, at)
      AND (w.whole_organization OR EXISTS (
          SELECT 1 FROM maintenance_window_targets t
          WHERE t.window_id = w.id
            AND (t.device_id = d.id OR t.group_id = d.group_id OR t.location_id = dl.location_id)))
$$;

CREATE FUNCTION device_in_maintenance(device uuid, at timestamptz)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM device_maintenance_windows(device, at))
$$;

-- One row per recipient reaches this trigger; the held event is kept once per window.
CREATE FUNCTION notifications_hold_in_maintenance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    held boolean := false;
    window_id uuid;
BEGIN
    IF NEW.device_id IS NULL THEN
        RETURN NEW;
    END IF;
    FOR window_id IN SELECT * FROM device_maintenance_windows(NEW.device_id, NEW.timestamp) LOOP
        held := true;
        INSERT INTO held_notifications (id, window_id, organization_id, device_id, metric_id, type, level,
                                        message, event_time)
        VALUES (gen_random_uuid(), window_id, NEW.organization_id, NEW.device_id, NEW.metric_id, NEW.type,
                NEW.level, NEW.message, NEW.timestamp)
        ON CONFLICT DO NOTHING;
    END LOOP;
    IF held THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER notifications_maintenance
    BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_hold_in_maintenance();
"""


def upgrade():
    op.create_table(
        'maintenance_windows',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('organization_id', sa.UUID(), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('description', sa.Text(), server_default='', nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recurrence_days', postgresql.ARRAY(sa.SmallInteger()), nullable=True),
        sa.Column('recurrence_time', sa.Time(), nullable=True),
        sa.Column('recurrence_minutes', sa.Integer(), nullable=True),
        sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
        sa.Column('whole_organization', sa.Boolean(), server_default='false', nullable=False),
        sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('ends_at IS NULL OR ends_at > starts_at', name='ends_after_start'),
        sa.CheckConstraint(
            '(recurrence_days IS NULL) = (recurrence_time IS NULL) '
            'AND (recurrence_days IS NULL) = (recurrence_minutes IS NULL)', name='recurrence'),
        sa.CheckConstraint('recurrence_days IS NOT NULL OR ends_at IS NOT NULL', name='one_off_has_end'),
        sa.CheckConstraint('recurrence_minutes IS NULL OR recurrence_minutes BETWEEN 1 AND 10080',
                           name='recurrence_minutes'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_maintenance_windows_organization_id', 'maintenance_windows', ['organization_id'])
    op.create_table(
        'maintenance_window_targets',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('window_id', sa.UUID(), nullable=False),
        sa.Column('device_id', sa.UUID(), nullable=True),
        sa.Column('group_id', sa.UUID(), nullable=True),
        sa.Column('location_id', sa.UUID(), nullable=True),
        sa.CheckConstraint('num_nonnulls(device_id, group_id, location_id) = 1', name='one_target'),
        sa.ForeignKeyConstraint(['window_id'], ['maintenance_windows.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['group_id'], ['device_groups.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_maintenance_window_targets_window_id', 'maintenance_window_targets', ['window_id'])
    op.create_table(
        'held_notifications',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('window_id', sa.UUID(), nullable=True),
        sa.Column('organization_id', sa.UUID(), nullable=False),
        sa.Column('device_id', sa.UUID(), nullable=False),
        sa.Column('metric_id', sa.UUID(), nullable=True),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('event_time', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['window_id'], ['maintenance_windows.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('uq_held_notifications_event', 'held_notifications',
                    ['window_id', 'device_id', 'metric_id', 'type', 'event_time'], unique=True,
                    postgresql_nulls_not_distinct=True)
    op.create_index('ix_held_notifications_unreleased', 'held_notifications', ['device_id'],
                    postgresql_where=sa.text('released_at IS NULL'))
    op.execute(FUNCTIONS)


def downgrade():
    op.execute("DROP TRIGGER notifications_maintenance ON notifications")
    op.execute("DROP FUNCTION notifications_hold_in_maintenance()")
    op.execute("DROP FUNCTION device_in_maintenance(uuid, timestamptz)")
    op.execute("DROP FUNCTION device_maintenance_windows(uuid, timestamptz)")
    op.execute("DROP FUNCTION maintenance_window_open(timestamptz, timestamptz, smallint[], time, integer, text, "
               "timestamptz)")
    op.drop_table('held_notifications')
    op.drop_table('maintenance_window_targets')
    op.drop_table('maintenance_windows')
