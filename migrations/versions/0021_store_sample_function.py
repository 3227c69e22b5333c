"""The writes of one device sample in one server-side function: the points of each
hypertable, the snapshot, the WiFi clients and sessions and the late-point marks, sent as
one statement instead of about ten (each parsed, analysed and looked up by TimescaleDB's
loader on its own). ``monitoring/timeseries/sample_store.py`` calls it with its parameters
in this order.

Revision ID: 0021_store_sample_function
Revises: 0020_availability_maintenance
"""
from alembic import op

revision = '0021_store_sample_function'
down_revision = '0020_availability_maintenance'
branch_labels = None
depends_on = None

# Points share their time, device and dashboard tags; every other column is one array,
# unnested into rows. An empty array writes nothing. The snapshot is written when
# snapshot_data is not NULL (the sample is the device's latest). Known WiFi clients are
# rewritten only when something about them changed. A late point's hour is marked under
# the shared advisory lock (monitoring/timeseries/rollups.py), taken last so that it is
# held for as short a time as possible before the commit.
STORE_SAMPLE_WRITES = """
CREATE FUNCTION store_sample_writes(
    sample_time timestamptz, sample_device uuid, sample_organization uuid, sample_location uuid,
    sample_floorplan uuid,
    traffic_ifname text[], traffic_rx_bytes numeric[], traffic_tx_bytes numeric[],
    traffic_rx_counter numeric[], traffic_tx_counter numeric[],
    client_ifname text[], client_mac text[],
    cpu_usage float8[], cpu_load_1 float8[], cpu_load_5 float8[], cpu_load_15 float8[],
    memory_percent_used float8[], memory_total int8[], memory_free int8[], memory_buffered int8[],
    memory_shared int8[], memory_cached int8[], memory_available int8[],
    disk_used float8[],
    signal_ifname text[], signal_strength float8[], signal_power float8[], signal_quality float8[],
    signal_snr float8[], signal_access_tech int2[],
    snapshot_data jsonb, received_at timestamptz,
    clients_organization uuid, clients_mac text[], clients_vendor text[], clients_ht bool[],
    clients_vht bool[], clients_he bool[], clients_wmm bool[], clients_wds bool[], clients_wps bool[],
    sessions_id uuid[], sessions_client text[], sessions_interface text[], sessions_ssid text[],
    ended_sessions uuid[],
    late_device uuid[], late_hour timestamptz[], late_time timestamptz[]
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(traffic_ifname) > 0 THEN
        INSERT INTO traffic_points (time, device_id, organization_id, location_id, floorplan_id,
                                    ifname, rx_bytes, tx_bytes, rx_counter, tx_counter)
        SELECT sample_time, sample_device, sample_organization, sample_location, sample_floorplan, r.*
        FROM unnest(traffic_ifname, traffic_rx_bytes, traffic_tx_bytes, traffic_rx_counter, traffic_tx_counter) AS r
        ON CONFLICT DO NOTHING;
    END IF;
    IF cardinality(client_ifname) > 0 THEN
        INSERT INTO wifi_client_points (time, device_id, organization_id, location_id, floorplan_id, ifname, client_mac)
        SELECT sample_time, sample_device, sample_organization, sample_location, sample_floorplan, r.*
        FROM unnest(client_ifname, client_mac) AS r
        ON CONFLICT DO NOTHING;
    END IF;
    IF cardinality(cpu_usage) > 0 THEN
        INSERT INTO cpu_points (time, device_id, cpu_usage, load_1, load_5, load_15)
        SELECT sample_time, sample_device, r.* FROM unnest(cpu_usage, cpu_load_1, cpu_load_5, cpu_load_15) AS r
        ON CONFLICT DO NOTHING;
    END IF;
    IF cardinality(memory_percent_used) > 0 THEN
        INSERT INTO memory_points (time, device_id, percent_used, total_memory, free_memory, buffered_memory,
                                   shared_memory, cached_memory, available_memory)
        SELECT sample_time, sample_device, r.*
        FROM unnest(memory_percent_used, memory_total, memory_free, memory_buffered, memory_shared, memory_cached,
                    memory_available) AS r
        ON CONFLICT DO NOTHING;
    END IF;
    IF cardinality(disk_used) > 0 THEN
        INSERT INTO disk_points (time, device_id, used_disk)
        SELECT sample_time, sample_device, r.* FROM unnest(disk_used) AS r
        ON CONFLICT DO NOTHING;
    END IF;
    IF cardinality(signal_ifname) > 0 THEN
        INSERT INTO signal_points (time, device_id, ifname, signal_strength, signal_power, signal_quality, snr,
                                   access_tech)
        SELECT sample_time, sample_device, r.*
        FROM unnest(signal_ifname, signal_strength, signal_power, signal_quality, signal_snr, signal_access_tech) AS r
        ON CONFLICT DO NOTHING;
    END IF;
    IF snapshot_data IS NOT NULL THEN
        INSERT INTO device_data (device_id, data, sample_time, newest_sample_time, received_at)
        VALUES (sample_device, snapshot_data, sample_time, sample_time, received_at)
        ON CONFLICT (device_id) DO UPDATE
        SET data = EXCLUDED.data, sample_time = EXCLUDED.sample_time, received_at = EXCLUDED.received_at,
            newest_sample_time = GREATEST(device_data.newest_sample_time, EXCLUDED.sample_time);
    END IF;
    IF cardinality(clients_mac) > 0 THEN
        INSERT INTO wifi_clients AS w (organization_id, mac_address, vendor, ht, vht, he, wmm, wds, wps,
                                       created, modified)
        SELECT clients_organization, c.*, received_at, received_at
        FROM unnest(clients_mac, clients_vendor, clients_ht, clients_vht, clients_he, clients_wmm, clients_wds,
                    clients_wps) AS c
        ON CONFLICT (organization_id, mac_address) DO UPDATE
        SET vendor = EXCLUDED.vendor, ht = EXCLUDED.ht, vht = EXCLUDED.vht, he = EXCLUDED.he,
            wmm = EXCLUDED.wmm, wds = EXCLUDED.wds, wps = EXCLUDED.wps, modified = EXCLUDED.modified
        WHERE (w.vendor, w.ht, w.vht, w.he, w.wmm, w.wds, w.wps)
              IS DISTINCT FROM
              (EXCLUDED.vendor, EXCLUDED.ht, EXCLUDED.vht, EXCLUDED.he, EXCLUDED.wmm, EXCLUDED.wds, EXCLUDED.wps);
    END IF;
    IF cardinality(sessions_id) > 0 THEN
        INSERT INTO wifi_sessions (id, device_id, wifi_client_id, interface_name, ssid, start_time, modified)
        SELECT s.id, sample_device, s.client, s.interface, s.ssid, sample_time, received_at
        FROM unnest(sessions_id, sessions_client, sessions_interface, sessions_ssid) AS s (id, client, interface, ssid);
    END IF;
    IF cardinality(ended_sessions) > 0 THEN
        -- Never before they started: a sample sent as current may be older than the one that opened them.
        UPDATE wifi_sessions SET stop_time = GREATEST(start_time, sample_time), modified = received_at
        WHERE id = ANY (ended_sessions);
    END IF;
    IF cardinality(late_time) > 0 THEN
        PERFORM pg_advisory_xact_lock_shared(1818326117);  -- chart_tables.LATE_POINTS_LOCK_KEY
        INSERT INTO rollup_backlog (device_id, hour)
        SELECT m.device, m.hour FROM unnest(late_device, late_hour, late_time) AS m (device, hour, time)
        WHERE m.time < (SELECT GREATEST(watermark, pending) FROM rollup_state WHERE id = 1);
    END IF;
END
$$
"""


def upgrade():
    op.execute(STORE_SAMPLE_WRITES)


def downgrade():
    op.execute("DROP FUNCTION store_sample_writes")
