"""Monitoring data: snapshots, metrics, alert settings, charts, WiFi clients and sessions,
and one TimescaleDB hypertable per measurement family.

Revision ID: 0002_monitoring_data
Revises: 0001_foundation
Create Date: 2026-11-28 23:18:59.751923

"""
from alembic import op
import os

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002_monitoring_data'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


HYPERTABLES = ("traffic_points", "wifi_client_points", "cpu_points", "memory_points", "disk_points", "signal_points")
# One chunk per day by default: a day of points of a few thousand devices fits in memory,
# and retention drops whole days. Set before the first migration; later changes apply to
# new chunks only (set_chunk_time_interval).
CHUNK_INTERVAL = os.environ.get("TIMESERIES_CHUNK_INTERVAL", "1 day")


def upgrade():
    op.create_table('cpu_points',
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('cpu_usage', sa.Float(), nullable=False),
    sa.Column('load_1', sa.Float(), nullable=True),
    sa.Column('load_5', sa.Float(), nullable=True),
    sa.Column('load_15', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('device_id', 'time', name='pk_cpu_points')
    )
    op.create_table('disk_points',
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('used_disk', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'time', name='pk_disk_points')
    )
    op.create_table('memory_points',
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('percent_used', sa.Float(), nullable=False),
    sa.Column('total_memory', sa.BigInteger(), nullable=True),
    sa.Column('free_memory', sa.BigInteger(), nullable=True),
    sa.Column('buffered_memory', sa.BigInteger(), nullable=True),
    sa.Column('shared_memory', sa.BigInteger(), nullable=True),
    sa.Column('cached_memory', sa.BigInteger(), nullable=True),
    sa.Column('available_memory', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('device_id', 'time', name='pk_memory_points')
    )
    op.create_table('signal_points',
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('ifname', sa.String(length=64), nullable=False),
    sa.Column('signal_strength', sa.Float(), nullable=True),
    sa.Column('signal_power', sa.Float(), nullable=True),
    sa.Column('signal_quality', sa.Float(), nullable=True),
    sa.Column('snr', sa.Float(), nullable=True),
    sa.Column('access_tech', sa.SmallInteger(), nullable=True),
    sa.PrimaryKeyConstraint('device_id', 'ifname', 'time', name='pk_signal_points')
    )
    op.create_table('traffic_points',
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('ifname', sa.String(length=64), nullable=False),
    sa.Column('organization_id', sa.UUID(), nullable=False),
    sa.Column('location_id', sa.UUID(), nullable=True),
    sa.Column('floorplan_id', sa.UUID(), nullable=True),
    sa.Column('rx_bytes', sa.BigInteger(), nullable=False),
    sa.Column('tx_bytes', sa.BigInteger(), nullable=False),
    sa.Column('rx_counter', sa.BigInteger(), nullable=True),
    sa.Column('tx_counter', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('device_id', 'ifname', 'time', name='pk_traffic_points')
    )
    with op.batch_alter_table('traffic_points', schema=None) as batch_op:
        batch_op.create_index('ix_traffic_points_org_time', ['organization_id', 'time'], unique=False)

    op.create_table('wifi_client_points',
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('ifname', sa.String(length=64), nullable=False),
    sa.Column('organization_id', sa.UUID(), nullable=False),
    sa.Column('location_id', sa.UUID(), nullable=True),
    sa.Column('floorplan_id', sa.UUID(), nullable=True),
    sa.Column('client_mac', sa.String(length=17), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'ifname', 'time', 'client_mac', name='pk_wifi_client_points')
    )
    with op.batch_alter_table('wifi_client_points', schema=None) as batch_op:
        batch_op.create_index('ix_wifi_client_points_org_time', ['organization_id', 'time'], unique=False)

    op.create_table('wifi_clients',
    sa.Column('mac_address', sa.String(length=17), nullable=False),
    sa.Column('vendor', sa.String(length=200), nullable=True),
    sa.Column('ht', sa.Boolean(), nullable=True),
    sa.Column('vht', sa.Boolean(), nullable=True),
    sa.Column('he', sa.Boolean(), nullable=True),
    sa.Column('wmm', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('wds', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('wps', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('mac_address', name=op.f('pk_wifi_clients'))
    )
    op.create_table('device_data',
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('sample_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_data_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_data'))
    )
    op.create_table('metrics',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=True),
    sa.Column('configuration', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('field_name', sa.String(length=32), nullable=False),
    sa.Column('ifname', sa.String(length=64), server_default='', nullable=False),
    sa.Column('is_healthy', sa.Boolean(), nullable=True),
    sa.Column('is_healthy_tolerant', sa.Boolean(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_metrics_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metrics')),
    sa.UniqueConstraint('device_id', 'configuration', 'ifname', name=op.f('uq_metrics_device_id_configuration_ifname'))
    )
    op.create_table('wifi_sessions',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('wifi_client_id', sa.String(length=17), nullable=False),
    sa.Column('ssid', sa.String(length=32), nullable=True),
    sa.Column('interface_name', sa.String(length=15), nullable=False),
    sa.Column('start_time', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('stop_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_wifi_sessions_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wifi_client_id'], ['wifi_clients.mac_address'], name=op.f('fk_wifi_sessions_wifi_client_id_wifi_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wifi_sessions'))
    )
    with op.batch_alter_table('wifi_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_wifi_sessions_device_start', ['device_id', 'start_time'], unique=False)
        batch_op.create_index('ix_wifi_sessions_open', ['device_id'], unique=False, postgresql_where=sa.text('stop_time IS NULL'))
        batch_op.create_index('ix_wifi_sessions_start', ['start_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_wifi_sessions_wifi_client_id'), ['wifi_client_id'], unique=False)

    op.create_table('alert_settings',
    sa.Column('metric_id', sa.UUID(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('custom_operator', sa.String(length=1), nullable=True),
    sa.Column('custom_threshold', sa.Double(), nullable=True),
    sa.Column('custom_tolerance', sa.Integer(), nullable=True),
    sa.CheckConstraint("custom_operator IS NULL OR custom_operator IN ('<', '>')", name=op.f('ck_alert_settings_operator')),
    sa.CheckConstraint('custom_tolerance IS NULL OR custom_tolerance BETWEEN 0 AND 10080', name=op.f('ck_alert_settings_tolerance')),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_alert_settings_metric_id_metrics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('metric_id', name=op.f('pk_alert_settings'))
    )
    op.create_table('charts',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('metric_id', sa.UUID(), nullable=False),
    sa.Column('configuration', sa.String(length=32), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_charts_metric_id_metrics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charts')),
    sa.UniqueConstraint('metric_id', 'configuration', name=op.f('uq_charts_metric_id_configuration'))
    )

    # The snapshot (a few KB of JSON) is rewritten by every sample: lz4 compresses it at a
    # fraction of the default pglz's cost.
    op.execute("ALTER TABLE device_data ALTER COLUMN data SET COMPRESSION lz4")
    for table in HYPERTABLES:
        # No default (time DESC) index: the primary keys serve per-device reads, the
        # organization indexes the dashboard, and chunk exclusion bounds whole-range scans;
        # one index less on every insert.
        op.execute(
            sa.text(
                f"SELECT create_hypertable('{table}', by_range('time', CAST(:interval AS interval)),"
                " create_default_indexes => false)"
            ).bindparams(interval=CHUNK_INTERVAL)
        )


def downgrade():
    op.drop_table('charts')
    op.drop_table('alert_settings')
    with op.batch_alter_table('wifi_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wifi_sessions_wifi_client_id'))
        batch_op.drop_index('ix_wifi_sessions_start')
        batch_op.drop_index('ix_wifi_sessions_open', postgresql_where=sa.text('stop_time IS NULL'))
        batch_op.drop_index('ix_wifi_sessions_device_start')

    op.drop_table('wifi_sessions')
    op.drop_table('metrics')
    op.drop_table('device_data')
    op.drop_table('wifi_clients')
    with op.batch_alter_table('wifi_client_points', schema=None) as batch_op:
        batch_op.drop_index('ix_wifi_client_points_org_time')

    op.drop_table('wifi_client_points')
    with op.batch_alter_table('traffic_points', schema=None) as batch_op:
        batch_op.drop_index('ix_traffic_points_org_time')

    op.drop_table('traffic_points')
    op.drop_table('signal_points')
    op.drop_table('memory_points')
    op.drop_table('disk_points')
    op.drop_table('cpu_points')
