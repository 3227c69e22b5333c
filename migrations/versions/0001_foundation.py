"""Foundation: TimescaleDB, accounts and tenancy, devices, groups, locations, floorplans.

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-28 23:14:53.310655

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # Timeseries tables of later revisions are TimescaleDB hypertables.
    op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    op.create_table('organizations',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('slug', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organizations_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('first_name', sa.String(length=150), server_default='', nullable=False),
    sa.Column('last_name', sa.String(length=150), server_default='', nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('is_superuser', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('date_joined', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_login', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_api_tokens_key_digest'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('device_groups',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('organization_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_device_groups_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_groups')),
    sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_device_groups_organization_id_name'))
    )
    op.create_table('locations',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('organization_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=75), nullable=False),
    sa.Column('type', sa.String(length=8), server_default='outdoor', nullable=False),
    sa.Column('is_mobile', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('address', sa.String(length=256), server_default='', nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("type IN ('outdoor', 'indoor')", name=op.f('ck_locations_type')),
    sa.CheckConstraint('latitude IS NULL OR (latitude BETWEEN -90 AND 90)', name=op.f('ck_locations_latitude')),
    sa.CheckConstraint('longitude IS NULL OR (longitude BETWEEN -180 AND 180)', name=op.f('ck_locations_longitude')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_locations_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations'))
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locations_organization_id'), ['organization_id'], unique=False)

    op.create_table('organization_users',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('organization_id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_users_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_organization_users_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_users')),
    sa.UniqueConstraint('organization_id', 'user_id', name=op.f('uq_organization_users_organization_id_user_id'))
    )
    with op.batch_alter_table('organization_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_users_user_id'), ['user_id'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('organization_id', sa.UUID(), nullable=False),
    sa.Column('group_id', sa.UUID(), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('mac_address', sa.String(length=17), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('last_ip', sa.String(length=45), nullable=True),
    sa.Column('management_ip', sa.String(length=45), nullable=True),
    sa.Column('model', sa.String(length=64), server_default='', nullable=False),
    sa.Column('os', sa.String(length=128), server_default='', nullable=False),
    sa.Column('system', sa.String(length=128), server_default='', nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('hardware_id', sa.String(length=32), server_default='', nullable=False),
    sa.Column('is_deactivated', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['device_groups.id'], name=op.f('fk_devices_group_id_device_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_devices_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('key', name=op.f('uq_devices_key')),
    sa.UniqueConstraint('organization_id', 'mac_address', name=op.f('uq_devices_organization_id_mac_address')),
    sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_devices_organization_id_name'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_group_id'), ['group_id'], unique=False)
        batch_op.create_index('ix_devices_name_id', ['name', 'id'], unique=False)

    op.create_table('floorplans',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('organization_id', sa.UUID(), nullable=False),
    sa.Column('location_id', sa.UUID(), nullable=False),
    sa.Column('floor', sa.Integer(), nullable=False),
    sa.Column('image', sa.String(length=256), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_floorplans_location_id_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_floorplans_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floorplans')),
    sa.UniqueConstraint('location_id', 'floor', name=op.f('uq_floorplans_location_id_floor'))
    )
    with op.batch_alter_table('floorplans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_floorplans_organization_id'), ['organization_id'], unique=False)

    op.create_table('device_locations',
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('location_id', sa.UUID(), nullable=False),
    sa.Column('floorplan_id', sa.UUID(), nullable=True),
    sa.Column('indoor', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_locations_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['floorplan_id'], ['floorplans.id'], name=op.f('fk_device_locations_floorplan_id_floorplans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_device_locations_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_locations'))
    )
    with op.batch_alter_table('device_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_locations_floorplan_id'), ['floorplan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_locations_location_id'), ['location_id'], unique=False)

    op.create_table('device_monitoring',
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='unknown', nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('unknown', 'ok', 'problem', 'critical', 'deactivated')", name=op.f('ck_device_monitoring_status')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_monitoring_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_monitoring'))
    )
    with op.batch_alter_table('device_monitoring', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_monitoring_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('device_monitoring', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_monitoring_status'))

    op.drop_table('device_monitoring')
    with op.batch_alter_table('device_locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_locations_location_id'))
        batch_op.drop_index(batch_op.f('ix_device_locations_floorplan_id'))

    op.drop_table('device_locations')
    with op.batch_alter_table('floorplans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_floorplans_organization_id'))

    op.drop_table('floorplans')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index('ix_devices_name_id')
        batch_op.drop_index(batch_op.f('ix_devices_group_id'))

    op.drop_table('devices')
    with op.batch_alter_table('organization_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_users_user_id'))

    op.drop_table('organization_users')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locations_organization_id'))

    op.drop_table('locations')
    op.drop_table('device_groups')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('organizations')
