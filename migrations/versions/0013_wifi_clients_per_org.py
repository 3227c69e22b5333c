"""WiFi clients per organization: what one tenant's devices report about a MAC (vendor,
capabilities) no longer changes what another tenant sees.

Each existing client is copied to every organization whose sessions name it; sessions then
refer to their own organization's copy. A device that moves to another organization takes
its clients' records along (the trigger that already moves its sessions copies them first).

Revision ID: 0013_wifi_clients_per_org
Revises: 0012_webhook_secrets
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_wifi_clients_per_org'
down_revision = '0012_webhook_secrets'
branch_labels = None
depends_on = None

COLUMNS = "mac_address, vendor, ht, vht, he, wmm, wds, wps, created, modified"

MOVE_WITH_CLIENTS = f"""
CREATE OR REPLACE FUNCTION devices_move_wifi_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wifi_clients (organization_id, {COLUMNS})
    SELECT NEW.organization_id, {', '.join('c.' + c for c in COLUMNS.split(', '))}
    FROM wifi_clients c
    WHERE c.organization_id = OLD.organization_id
      AND c.mac_address IN (SELECT wifi_client_id FROM wifi_sessions WHERE device_id = NEW.id)
    ON CONFLICT DO NOTHING;
    UPDATE wifi_sessions SET organization_id = NEW.organization_id WHERE device_id = NEW.id;
    RETURN NULL;
END
$$;
"""

MOVE_SESSIONS_ONLY = """
CREATE OR REPLACE FUNCTION devices_move_wifi_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wifi_sessions SET organization_id = NEW.organization_id WHERE device_id = NEW.id;
    RETURN NULL;
END
$$;
"""


def upgrade():
    op.drop_constraint('fk_wifi_sessions_wifi_client_id_wifi_clients', 'wifi_sessions', type_='foreignkey')
    op.drop_constraint('pk_wifi_clients', 'wifi_clients', type_='primary')
    op.add_column('wifi_clients', sa.Column('organization_id', sa.UUID(), nullable=True))
    op.execute(f"""
        INSERT INTO wifi_clients (organization_id, {COLUMNS})
        SELECT DISTINCT s.organization_id, {', '.join('c.' + c for c in COLUMNS.split(', '))}
        FROM wifi_clients c JOIN wifi_sessions s ON s.wifi_client_id = c.mac_address
        WHERE c.organization_id IS NULL AND s.organization_id IS NOT NULL
    """)
    op.execute("DELETE FROM wifi_clients WHERE organization_id IS NULL")
    op.alter_column('wifi_clients', 'organization_id', nullable=False)
    op.create_primary_key('pk_wifi_clients', 'wifi_clients', ['organization_id', 'mac_address'])
    op.create_foreign_key('fk_wifi_clients_organization_id_organizations', 'wifi_clients', 'organizations',
                          ['organization_id'], ['id'], ondelete='CASCADE')
    op.create_foreign_key('fk_wifi_sessions_wifi_client', 'wifi_sessions', 'wifi_clients',
                          ['organization_id', 'wifi_client_id'], ['organization_id', 'mac_address'],
                          ondelete='CASCADE')
    op.execute(MOVE_WITH_CLIENTS)


def downgrade():
    op.execute(MOVE_SESSIONS_ONLY)
    op.drop_constraint('fk_wifi_sessions_wifi_client', 'wifi_sessions', type_='foreignkey')
    op.drop_constraint('fk_wifi_clients_organization_id_organizations', 'wifi_clients', type_='foreignkey')
    op.drop_constraint('pk_wifi_clients', 'wifi_clients', type_='primary')
    # One record per MAC again: the most recently changed one.
    op.execute("""
        DELETE FROM wifi_clients a USING wifi_clients b
        WHERE a.mac_address = b.mac_address AND (a.modified, a.organization_id) < (b.modified, b.organization_id)
    """)
    op.drop_column('wifi_clients', 'organization_id')
    op.create_primary_key('pk_wifi_clients', 'wifi_clients', ['mac_address'])
    op.create_foreign_key('fk_wifi_sessions_wifi_client_id_wifi_clients', 'wifi_sessions', 'wifi_clients',
                          ['wifi_client_id'], ['mac_address'], ondelete='CASCADE')
