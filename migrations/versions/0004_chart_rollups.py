"""Chart rollups: the ping hypertable, the rollup hypertables (per family, every grain:
ten minutes for the dashboard groups, hours, days), client ids, the rollup watermark and
backlog.

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
# Rollups hold about 1/12 of the rows of 5-minute samples (far fewer for the dashboard
# groups): a month per chunk keeps a year's read to a dozen chunks.
ROLLUP_CHUNK_INTERVAL = os.environ.get("ROLLUP_CHUNK_INTERVAL", "30 days")
CLIENT_PAGE_BITS = 1024

DEVICE_ROLLUPS = ("ping_rollups", "cpu_rollups", "memory_rollups", "disk_rollups", "signal_rollups",
                  "access_tech_rollups", "traffic_rollups", "wifi_client_rollups")
GROUP_ROLLUPS = ("traffic_group_rollups", "wifi_client_group_rollups")


def _sums(*fields):
    columns = []
    for name in fields:
        columns.append(sa.Column(f"{name}_sum", sa.Numeric(), nullable=True))
        columns.append(sa.Column(f"{name}_count", sa.BigInteger(), nullable=False))
    return columns


def _period():
    # the length of the period a row sums up, and its start
    return [sa.Column('grain', sa.Interval(), nullable=False),
            sa.Column('time', sa.DateTime(timezone=True), nullable=False)]


def _device():
    return sa.Column('device_id', sa.UUID(), nullable=False)


def _ifname():
    return sa.Column('ifname', sa.String(length=64), nullable=False)


def _groups():
    return [
        sa.Column('organization_id', sa.UUID(), nullable=False),
        sa.Column('location_id', sa.UUID(), nullable=True),
        sa.Column('floorplan_id', sa.UUID(), nullable=True),
    ]


def _clients():
    return [sa.Column('page', sa.Integer(), nullable=False),
            sa.Column('clients', postgresql.BIT(length=CLIENT_PAGE_BITS), nullable=False)]


def _hypertable(table, interval):
    op.execute(
        sa.text(
            f"SELECT create_hypertable('{table}', by_range('time', CAST(:interval AS interval)),"
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
    for name, fields in (('ping_rollups', ('reachable', 'loss', 'rtt_min', 'rtt_max', 'rtt_avg')),
                         ('cpu_rollups', ('cpu_usage',)), ('memory_rollups', ('percent_used',)),
                         ('disk_rollups', ('used_disk',)),
                         ('signal_rollups', ('signal_strength', 'signal_power', 'signal_quality', 'snr'))):
        op.create_table(name, _device(), *_period(), *_sums(*fields),
        sa.PrimaryKeyConstraint('device_id', 'grain', 'time', name=f'pk_{name}')
        )
    op.create_table('access_tech_rollups', _device(),
    sa.Column('access_tech', sa.SmallInteger(), nullable=False),
    *_period(),
    sa.Column('samples', sa.BigInteger(), nullable=False),
    sa.Column('first_time', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'access_tech', 'grain', 'time', name='pk_access_tech_rollups')
    )
    op.create_table('traffic_rollups', _device(), _ifname(), *_period(), *_sums('rx_bytes', 'tx_bytes'),
    sa.PrimaryKeyConstraint('device_id', 'ifname', 'grain', 'time', name='pk_traffic_rollups')
    )
    op.create_table('wifi_client_rollups', _device(), _ifname(), *_period(), *_clients(),
    sa.PrimaryKeyConstraint('device_id', 'ifname', 'grain', 'time', 'page', name='pk_wifi_client_rollups')
    )
    op.create_table('traffic_group_rollups', *_groups(), _ifname(), *_period(), *_sums('rx_bytes', 'tx_bytes'))
    op.create_table('wifi_client_group_rollups', *_groups(), *_period(), *_clients())
    # Location and floorplan are often null: one row per group all the same. Network-wide
    # reads take every group's rows of a grain and a range: the (grain, time) index.
    for name, column in (('traffic_group_rollups', 'ifname'), ('wifi_client_group_rollups', 'page')):
        op.create_index(f'uq_{name}', name, ['organization_id', 'location_id', 'floorplan_id', column, 'grain',
                                             'time'], unique=True, postgresql_nulls_not_distinct=True)
        op.create_index(f'ix_{name}_grain_time', name, ['grain', 'time'])
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

    # Per-device reads are served by the primary keys, which start with the device.
    _hypertable('ping_points', CHUNK_INTERVAL)
    for table in DEVICE_ROLLUPS + GROUP_ROLLUPS:
        _hypertable(table, ROLLUP_CHUNK_INTERVAL)


def downgrade():
    for table in ('rollup_backlog', 'rollup_state', 'rollup_client_ids', *GROUP_ROLLUPS, *DEVICE_ROLLUPS,
                  'ping_points'):
        op.drop_table(table)
