"""Availability rollups that say which slots of an hour were monitored and down (so outages
are placed from the rollups, without reading the hour's points again), and maintenance
windows as spans of time: the occurrences of a window within a range, and the spans of the
windows covering a device, which ``maintenance_window_open`` and
``device_maintenance_windows`` now read too (one expansion of the weekly recurrence).

Revision ID: 0020_availability_maintenance
Revises: 0019_email_outbox
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_availability_maintenance'
down_revision = '0019_email_outbox'
branch_labels = None
depends_on = None

MASKS = ('slot_mask', 'ping_down_mask', 'data_down_mask')

# Bit n of an hour's masks is its slot starting n × 5 minutes after the hour. Every stored
# point is read again: longer than the statement timeout of requests on a large database.
REFILL = """
SET LOCAL statement_timeout = 0;
TRUNCATE availability_rollups;
WITH ping AS (
    SELECT device_id, time_bucket('5 minutes', time) AS slot, bool_or(reachable = 1) AS ping_up
    FROM ping_points GROUP BY 1, 2
), collected AS (
    SELECT device_id, time_bucket('5 minutes', time) AS slot, bool_or(data_collected = 1) AS data_up
    FROM data_collected_points GROUP BY 1, 2
), slots AS (
    SELECT device_id, slot, ping_up IS FALSE AS ping_down, data_up IS FALSE AS data_down,
           1 << (extract(epoch FROM slot - time_bucket('1 hour', slot))::int / 300) AS bit
    FROM ping FULL JOIN collected USING (device_id, slot)
)
INSERT INTO availability_rollups (device_id, grain, time, slots, down_slots, first_up,
                                  slot_mask, ping_down_mask, data_down_mask)
SELECT device_id, interval '1 hour', time_bucket('1 hour', slot),
       count(*), count(*) FILTER (WHERE ping_down OR data_down),
       min(slot) FILTER (WHERE NOT (ping_down OR data_down)),
       bit_or(bit), coalesce(bit_or(bit) FILTER (WHERE ping_down), 0),
       coalesce(bit_or(bit) FILTER (WHERE data_down), 0)
FROM slots GROUP BY device_id, time_bucket('1 hour', slot);
INSERT INTO availability_rollups (device_id, grain, time, slots, down_slots, first_up)
SELECT device_id, interval '1 day', time_bucket('1 day', time), sum(slots), sum(down_slots), min(first_up)
FROM availability_rollups WHERE grain = interval '1 hour'
GROUP BY device_id, time_bucket('1 day', time);
"""

# A weekly occurrence starts at ``time_of_day`` on one of ``days`` (ISO: 1 Monday … 7 Sunday)
# as the clocks of ``zone`` show it, and lasts ``minutes`` (elapsed time, so a window that
# crosses a DST change is as long as any other). A local start time the clocks skip when they
# spring forward starts at the jump. Occurrences are cut to the window's own start and end.
# The occurrences returned are those overlapping [lower, upper): the local days from
# ``minutes`` before ``lower`` are looked at, so one that runs past midnight (or for days)
# counts with its whole span.
FUNCTIONS = """
CREATE FUNCTION maintenance_window_occurrences(starts_at timestamptz, ends_at timestamptz, days smallint[],
                                               time_of_day time, minutes integer, zone text,
                                               lower timestamptz, upper timestamptz)
RETURNS TABLE (begins timestamptz, ends timestamptz) LANGUAGE sql STABLE AS $$
    SELECT cut.begins, cut.ends
    FROM (
        SELECT starts_at AS begins, ends_at AS ends WHERE days IS NULL
        UNION ALL
        SELECT local.begins, local.begins + make_interval(mins => minutes)
        FROM generate_series((lower AT TIME ZONE zone)::date - ceil(minutes / 1440.0)::int,
                             (upper AT TIME ZONE zone)::date, interval '1 day') AS d(day),
             LATERAL (SELECT (d.day::date + time_of_day) AT TIME ZONE zone AS begins) local
        WHERE days IS NOT NULL AND extract(isodow FROM d.day)::smallint = ANY (days)
    ) occurrence,
    LATERAL (SELECT greatest(occurrence.begins, starts_at) AS begins,
                    least(occurrence.ends, ends_at) AS ends) cut
    WHERE cut.begins < cut.ends AND cut.begins < upper AND cut.ends > lower
$$;

CREATE OR REPLACE FUNCTION maintenance_window_open(starts_at timestamptz, ends_at timestamptz, days smallint[],
                                                   time_of_day time, minutes integer, zone text, at timestamptz)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM maintenance_window_occurrences(starts_at, ends_at, days, time_of_day, minutes,
                                                                zone, at, at + interval '1 microsecond'))
$$;

-- The spans of [lower, upper) during which each window covering the device was open.
CREATE FUNCTION device_maintenance_spans(device uuid, lower timestamptz, upper timestamptz)
RETURNS TABLE (window_id uuid, begins timestamptz, ends timestamptz) LANGUAGE sql STABLE AS $$
    SELECT w.id, o.begins, o.ends
    FROM devices d
    JOIN maintenance_windows w ON w.organization_id = d.organization_id
    LEFT JOIN device_locations dl ON dl.device_id = d.id
    CROSS JOIN LATERAL maintenance_window_occurrences(w.starts_at, w.ends_at, w.recurrence_days,
                                                      w.recurrence_time, w.recurrence_minutes, w.timezone,
                                                      lower, upper) o
    WHERE d.id = device
      AND (w.whole_organization OR EXISTS (
          SELECT 1 FROM maintenance_window_targets t
          WHERE t.window_id = w.id
            AND (t.device_id = d.id OR t.group_id = d.group_id OR t.location_id = dl.location_id)))
$$;

CREATE OR REPLACE FUNCTION device_maintenance_windows(device uuid, at timestamptz)
RETURNS SETOF uuid LANGUAGE sql STABLE AS $$
    SELECT DISTINCT window_id FROM device_maintenance_spans(device, at, at + interval '1 microsecond')
$$;
"""

# As migration 0016 defined them.
PREVIOUS_FUNCTIONS = """
CREATE OR REPLACE FUNCTION maintenance_window_open(starts_at timestamptz, ends_at timestamptz, days smallint[],
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

CREATE OR REPLACE FUNCTION device_maintenance_windows(device uuid, at timestamptz)
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

DROP FUNCTION device_maintenance_spans(uuid, timestamptz, timestamptz);
DROP FUNCTION maintenance_window_occurrences(timestamptz, timestamptz, smallint[], time, integer, text,
                                             timestamptz, timestamptz);
"""


def upgrade():
    for name in MASKS:
        op.add_column('availability_rollups', sa.Column(name, sa.Integer(), nullable=True))
    # The few hours with a down slot, which a report reads slot by slot.
    op.create_index('ix_availability_rollups_down_hours', 'availability_rollups', ['device_id', 'time'],
                    postgresql_include=['slots', 'down_slots', 'first_up', *MASKS],
                    postgresql_where=sa.text("grain = interval '1 hour' AND down_slots > 0"))
    op.execute(REFILL)
    op.execute(FUNCTIONS)


def downgrade():
    op.execute(PREVIOUS_FUNCTIONS)
    op.drop_index('ix_availability_rollups_down_hours', 'availability_rollups')
    for name in MASKS:
        op.drop_column('availability_rollups', name)
