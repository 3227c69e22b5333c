"""Chart rollups: the ping hypertable, the rollup hypertables (hourly; ten-minute ones for
the dashboard), client ids, the rollup watermark and backlog.

Revision ID: 0004_chart_rollups
Revises: 0003_locations_geo
"""
import os

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004_chart_rollups'
down_revision = '0003_locations_geo'
branch_labels = None
depends_on = None

# Raw points: one chunk per day, like the other raw hypertables (0002).
CHUNK_INTERVAL = os.environ.get("TIMESERIES_CHUNK_INTERVAL", "1 day")
# Rollups hold 1/12 of the rows of 5-minute samples (far fewer for the dashboard groups):
# a month per chunk keeps a year's read to a dozen chunks.
ROLLUP_CHUNK_INTERVAL = os.environ.get("ROLLUP_CHUNK_INTERVAL", "30 days")
CLIENT_PAGE_BITS = 1024

DEVICE_ROLLUPS = ("ping_hourly", "cpu_hourly", "memory_hourly", "disk_hourly", "signal_hourly",
                  "access_tech_hourly", "traffic_hourly", "wifi_clients_hourly")
GROUP_ROLLUPS = ("traffic_hourly_groups", "traffic_10min_groups", "wifi_clients_hourly_groups",
                 "wifi_clients_10min_groups")


def _sums(*fields):
    columns = []
    for name in fields:
        columns.append(sa.Column(f"{name}_sum", sa.Numeric(), nullable=True))
        columns.append(sa.Column(f"{name}_count", sa.BigInteger(), nullable=False))
    return columns


def _period():
    # the start of the period (hour, or ten minutes) the row sums up
    return sa.Column('time', sa.DateTime(timezone=True), nullable=False)


def _device():
    return sa.Column('device_id', sa.UUID(), nullable=False)


def _groups():
    return [
        sa.Column('organization_id', sa.UUID(), nullable=False),
        sa.Column('location_id', sa.UUID(), nullable=True),
        sa.Column('floorplan_id', sa.UUID(), nullable=True),
    ]


def _hypertable(table, column, interval):
    op.execute(
        sa.text(
            f"SELECT create_hypertable('{table}', by_range('{column}', CAST(:interval AS interval)),"
            " create_default_indexes => false)"
        ).bindparams(interval=interval)
    )


def upgrade():
    op.create_table('ping_points',
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    _device(),
    sa.Column('reachable', sa.SmallInteger(), nullable=False),
    sa.Column('loss', sa.Float(), nullable=True),
    sa.Column('rtt_min', sa.Float(), nullable=True),
    sa.Column('rtt_max', sa.Float(), nullable=True),
    sa.Column('rtt_avg', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('device_id', 'time', name='pk_ping_points')
    )
    op.create_table('ping_hourly', _period(), _device(),
    *_sums('reachable', 'loss', 'rtt_min', 'rtt_max', 'rtt_avg'),
    sa.PrimaryKeyConstraint('device_id', 'time', name='pk_ping_hourly')
    )
    op.create_table('cpu_hourly', _period(), _device(), *_sums('cpu_usage'),
    sa.PrimaryKeyConstraint('device_id', 'time', name='pk_cpu_hourly')
    )
    op.create_table('memory_hourly', _period(), _device(), *_sums('percent_used'),
    sa.PrimaryKeyConstraint('device_id', 'time', name='pk_memory_hourly')
    )
    op.create_table('disk_hourly', _period(), _device(), *_sums('used_disk'),
    sa.PrimaryKeyConstraint('device_id', 'time', name='pk_disk_hourly')
    )
    op.create_table('signal_hourly', _period(), _device(),
    *_sums('signal_strength', 'signal_power', 'signal_quality', 'snr'),
    sa.PrimaryKeyConstraint('device_id', 'time', name='pk_signal_hourly')
    )
    op.create_table('access_tech_hourly', _period(), _device(),
    sa.Column('access_tech', sa.SmallInteger(), nullable=False),
    sa.Column('samples', sa.BigInteger(), nullable=False),
    sa.Column('first_time', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'access_tech', 'time', name='pk_access_tech_hourly')
    )
    op.create_table('traffic_hourly', _period(), _device(),
    sa.Column('ifname', sa.String(length=64), nullable=False),
    *_sums('rx_bytes', 'tx_bytes'),
    sa.PrimaryKeyConstraint('device_id', 'ifname', 'time', name='pk_traffic_hourly')
    )
    for name in ('traffic_hourly_groups', 'traffic_10min_groups'):
        op.create_table(name, _period(), *_groups(),
        sa.Column('ifname', sa.String(length=64), nullable=False),
        *_sums('rx_bytes', 'tx_bytes'),
        )
        op.create_index(f'uq_{name}', name, ['organization_id', 'location_id', 'floorplan_id', 'ifname', 'time'],
                        unique=True, postgresql_nulls_not_distinct=True)
    op.create_table('wifi_clients_hourly', _period(), _device(),
    sa.Column('ifname', sa.String(length=64), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('clients', postgresql.BIT(length=CLIENT_PAGE_BITS), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'ifname', 'time', 'page', name='pk_wifi_clients_hourly')
    )
    for name in ('wifi_clients_hourly_groups', 'wifi_clients_10min_groups'):
        op.create_table(name, _period(), *_groups(),
        sa.Column('page', sa.Integer(), nullable=False),
        sa.Column('clients', postgresql.BIT(length=CLIENT_PAGE_BITS), nullable=False),
        )
        op.create_index(f'uq_{name}', name, ['organization_id', 'location_id', 'floorplan_id', 'time', 'page'],
                        unique=True, postgresql_nulls_not_distinct=True)
    op.create_table('rollup_client_ids',
    sa.Column('id', sa.Integer(), sa.Identity(always=False, start=0, minvalue=0), nullable=False),
    sa.Column('mac', sa.String(length=17), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_client_ids')),
    sa.UniqueConstraint('mac', name=op.f('uq_rollup_client_ids_mac'))
    )
    op.create_table('rollup_state',
    sa.Column('id', sa.SmallInteger(), nullable=False),
    sa.Column('watermark', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_rollup_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_state'))
    )
    op.create_table('rollup_backlog',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('hour', name=op.f('pk_rollup_backlog'))
    )

    # Network-wide reads select periods across every group: they want a (time) index. Per-
    # device reads are served by the primary keys, which start with the device.
    for table in GROUP_ROLLUPS:
        op.create_index(f'ix_{table}_time', table, ['time'])
    _hypertable('ping_points', 'time', CHUNK_INTERVAL)
    for table in DEVICE_ROLLUPS + GROUP_ROLLUPS:
        _hypertable(table, 'time', ROLLUP_CHUNK_INTERVAL)


def downgrade():
    for table in ('rollup_backlog', 'rollup_state', 'rollup_client_ids', *GROUP_ROLLUPS, *DEVICE_ROLLUPS,
                  'ping_points'):
        op.drop_table(table)
