"""Bulk history for the benchmarks: N devices × D days of 5-minute samples shaped like the
standard workload (bench/workload/payload.py: eth0 and wlan0 traffic with constant increments,
10 WiFi clients on wlan0, cpu/memory/disk from the same wobble formula), generated inside
PostgreSQL one day at a time. Rows equal what the POST would store for those samples; the
metric rows (with alert settings and charts) and snapshots are created too. Or one device at
the default ingest limits (``load_limits_device``).

    .venv/bin/python bench/bulk_load.py --database-url postgresql://… --devices 1000 --days 30
"""
from __future__ import annotations

import argparse
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg2
from psycopg2.extras import execute_values

SAMPLE = timedelta(minutes=5)

# One statement per hypertable and day (into empty time ranges: a fresh database); d.idx is the
# device number, s the sample number. Rows go in device order, so primary-key inserts append.
POINTS_SQL = {
    "traffic_points": """
        INSERT INTO traffic_points (time, device_id, ifname, organization_id,
                                    rx_bytes, tx_bytes, rx_counter, tx_counter)
        SELECT g.t, d.id, i.ifname, d.organization_id, i.rx, i.tx, i.rx0 + g.s * i.rx, i.tx0 + g.s * i.tx
        FROM bench_devices d
        CROSS JOIN (SELECT t, (extract(epoch FROM t - %(start)s) / 300)::bigint AS s
                      FROM generate_series(%(t0)s, %(t1)s, interval '5 minutes') t) g
        CROSS JOIN (VALUES ('eth0', 1500000, 400000, 10000000, 5000000),
                           ('wlan0', 800000, 2000000, 3000000, 8000000)) i(ifname, rx, tx, rx0, tx0)
        ORDER BY d.idx, 1""",
    "wifi_client_points": """
        INSERT INTO wifi_client_points (time, device_id, ifname, organization_id, client_mac)
        SELECT g.t, d.id, 'wlan0', d.organization_id,
               format('aa:bb:cc:%%s:%%s:%%s', lpad(to_hex(d.idx / 256), 2, '0'),
                      lpad(to_hex(d.idx %% 256), 2, '0'), lpad(to_hex(j), 2, '0'))
        FROM bench_devices d
        CROSS JOIN generate_series(%(t0)s, %(t1)s, interval '5 minutes') g(t)
        CROSS JOIN generate_series(0, 9) j
        ORDER BY d.idx, 1""",
    "cpu_points": """
        INSERT INTO cpu_points (time, device_id, cpu_usage, load_1, load_5, load_15)
        SELECT g.t, d.id, (5 + w.w / 2) / 100.0 * 100, (5 + w.w / 2) / 100.0, (4 + w.w / 3) / 100.0,
               (3 + w.w / 4) / 100.0
        FROM bench_devices d
        CROSS JOIN (SELECT t, (extract(epoch FROM t - %(start)s) / 300)::bigint AS s
                      FROM generate_series(%(t0)s, %(t1)s, interval '5 minutes') t) g
        CROSS JOIN LATERAL (SELECT ((d.idx * 7 + g.s * 13) %% 100)::int AS w) w
        ORDER BY d.idx, 1""",
    "memory_points": """
        INSERT INTO memory_points (time, device_id, percent_used, total_memory, free_memory, buffered_memory,
                                   shared_memory, cached_memory, available_memory)
        SELECT g.t, d.id, 100 * (1 - (100000000 + w.w * 500000 + 6000000 + 9000000) / 249774080.0),
               249774080, 100000000 + w.w * 500000, 9000000, 86016, 6000000, 100000000 + w.w * 500000 + 6000000
        FROM bench_devices d
        CROSS JOIN (SELECT t, (extract(epoch FROM t - %(start)s) / 300)::bigint AS s
                      FROM generate_series(%(t0)s, %(t1)s, interval '5 minutes') t) g
        CROSS JOIN LATERAL (SELECT ((d.idx * 7 + g.s * 13) %% 100)::int AS w) w
        ORDER BY d.idx, 1""",
    "disk_points": """
        INSERT INTO disk_points (time, device_id, used_disk)
        SELECT g.t, d.id, 100 * (7000000 + w.w * 10000) / 15507456.0
        FROM bench_devices d
        CROSS JOIN (SELECT t, (extract(epoch FROM t - %(start)s) / 300)::bigint AS s
                      FROM generate_series(%(t0)s, %(t1)s, interval '5 minutes') t) g
        CROSS JOIN LATERAL (SELECT ((d.idx * 7 + g.s * 13) %% 100)::int AS w) w
        ORDER BY d.idx, 1""",
    # The active checks, 17 s into each sample's five minutes: every 20th device unreachable
    # for half an hour a day, every 50th without data collected for an hour a day (outages
    # for the availability reports).
    "ping_points": """
        INSERT INTO ping_points (time, device_id, reachable, loss, rtt_min, rtt_avg, rtt_max)
        SELECT g.t + interval '17 seconds', d.id, 1 - o.down, 100 * o.down,
               CASE WHEN o.down = 0 THEN 0.4 END, CASE WHEN o.down = 0 THEN 0.9 END, CASE WHEN o.down = 0 THEN 2.1 END
        FROM bench_devices d
        CROSS JOIN (SELECT t, (extract(epoch FROM t - %(start)s) / 300)::bigint AS s
                      FROM generate_series(%(t0)s, %(t1)s, interval '5 minutes') t) g
        CROSS JOIN LATERAL (SELECT CASE WHEN d.idx %% 20 = 0 AND (g.s + d.idx) %% 288 < 6 THEN 1 ELSE 0 END AS down) o
        ORDER BY d.idx, 1""",
    "data_collected_points": """
        INSERT INTO data_collected_points (time, device_id, data_collected)
        SELECT g.t + interval '17 seconds', d.id,
               CASE WHEN d.idx %% 50 = 0 AND (g.s + 3 * d.idx) %% 288 < 12 THEN 0 ELSE 1 END
        FROM bench_devices d
        CROSS JOIN (SELECT t, (extract(epoch FROM t - %(start)s) / 300)::bigint AS s
                      FROM generate_series(%(t0)s, %(t1)s, interval '5 minutes') t) g
        ORDER BY d.idx, 1""",
}
CHECK_TABLES = ("ping_points", "data_collected_points")

METRICS_SQL = """
    WITH wanted(configuration, name, key, field_name, ifname, alert, chart) AS (VALUES
        ('traffic', 'eth0 traffic', 'traffic', 'rx_bytes', 'eth0', false, 'traffic'),
        ('traffic', 'wlan0 traffic', 'traffic', 'rx_bytes', 'wlan0', false, 'traffic'),
        ('clients', 'wlan0 wifi clients', 'wifi_clients', 'clients', 'wlan0', false, 'wifi_clients'),
        ('cpu', 'CPU usage', 'cpu', 'cpu_usage', '', true, 'cpu'),
        ('memory', 'Memory usage', 'memory', 'percent_used', '', true, 'memory'),
        ('disk', 'Disk usage', 'disk', 'used_disk', '', true, 'disk')),
    created AS (
        INSERT INTO metrics (id, device_id, configuration, name, key, field_name, ifname, is_healthy,
                             is_healthy_tolerant, created)
        SELECT gen_random_uuid(), d.id, w.configuration, w.name, w.key, w.field_name, w.ifname,
               CASE WHEN w.alert THEN true END, CASE WHEN w.alert THEN true END, now()
        FROM bench_devices d CROSS JOIN wanted w
        ON CONFLICT DO NOTHING
        RETURNING id, configuration),
    alerts AS (
        INSERT INTO alert_settings (metric_id, is_active)
        SELECT id, true FROM created WHERE configuration IN ('cpu', 'memory', 'disk'))
    INSERT INTO charts (id, metric_id, configuration, created)
    SELECT gen_random_uuid(), c.id, w.chart, now()
    FROM created c JOIN wanted w ON w.configuration = c.configuration
    GROUP BY c.id, w.chart
"""


def _settle(conn) -> None:
    """Settle the database before anything is measured: without this, autovacuum (triggered
    by the inserts) and checkpoints of the whole load run during the benchmark that follows."""
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")
        cur.execute("CHECKPOINT")
    conn.autocommit = False


def _window(days: int, end: datetime | None) -> tuple[datetime, datetime]:
    """``days`` ending at ``end`` (default: 10 minutes ago), on 5-minute boundaries."""
    end = (end or datetime.now(UTC) - timedelta(minutes=10)).replace(second=0, microsecond=0)
    end -= timedelta(minutes=end.minute % 5)
    return end - timedelta(days=days), end


def _load_days(start: datetime, end: datetime, load_day, log) -> None:
    """``load_day(first sample, last sample)`` for each day of [start, end), on two
    connections (one per core) loading alternate days."""
    days_to_load = []
    day = start
    while day < end:
        days_to_load.append((day, min(day + timedelta(days=1), end) - SAMPLE))
        day += timedelta(days=1)
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        loads = pool.map(lambda span: load_day(*span), days_to_load)
        for done, _ in enumerate(loads, 1):
            log(f"  loaded day {done} of {len(days_to_load)} ({time.monotonic() - began:.0f} s)")


def _load_day(database_url: str, devices: int, start: datetime, t0: datetime, t1: datetime,
              tables: tuple[str, ...]) -> None:
    conn = psycopg2.connect(database_url)
    try:
        cur = conn.cursor()
        cur.execute("SET synchronous_commit = off")
        cur.execute("""CREATE TEMP TABLE bench_devices AS
                       SELECT id, organization_id, substring(name FROM 11)::int AS idx
                       FROM devices WHERE name LIKE 'bench-dev-%%' AND substring(name FROM 11)::int < %s""",
                    (devices,))
        for table in tables:
            cur.execute(POINTS_SQL[table], {"start": start, "t0": t0, "t1": t1})
        conn.commit()
    finally:
        conn.close()


def load_history(database_url: str, *, devices: int, days: int, end: datetime | None = None,
                 organizations: int = 1, tables: tuple[str, ...] = tuple(POINTS_SQL), log=print) -> list[dict]:
    """Create devices bench-dev-000… (spread over ``organizations``) with ``days`` of history
    ending at ``end`` (default: 10 minutes ago) in ``tables`` (default: all of them); returns
    [{id, key, index}] in device order."""
    start, end = _window(days, end)
    conn = psycopg2.connect(database_url)
    conn.autocommit = False
    cur = conn.cursor()
    cur.execute("SET synchronous_commit = off")  # a bulk load, redone from scratch if it dies
    org_ids = []
    for n in range(organizations):
        cur.execute("""INSERT INTO organizations (id, name, slug, is_active, created, modified)
                       VALUES (gen_random_uuid(), %s, %s, true, now(), now())
                       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id""",
                    (f"bench-{n}", f"bench-{n}"))
        org_ids.append(cur.fetchone()[0])
    rows = []
    for i in range(devices):
        rows.append((org_ids[i % organizations], f"bench-dev-{i:03d}",
                     f"02:00:00:00:{i // 256:02x}:{i % 256:02x}", secrets.token_hex(16)))
    execute_values(cur, """INSERT INTO devices (id, organization_id, name, mac_address, key, created, modified)
                           SELECT gen_random_uuid(), v.org::uuid, v.name, v.mac, v.key, now(), now()
                           FROM (VALUES %s) v(org, name, mac, key) ON CONFLICT DO NOTHING""", rows)
    cur.execute("""INSERT INTO device_monitoring (device_id, status, modified)
                   SELECT id, 'ok', now() FROM devices WHERE name LIKE 'bench-dev-%%' ON CONFLICT DO NOTHING""")
    cur.execute("""CREATE TEMP TABLE bench_devices ON COMMIT PRESERVE ROWS AS
                   SELECT id, organization_id, substring(name FROM 11)::int AS idx, key
                   FROM devices WHERE name LIKE 'bench-dev-%%' AND substring(name FROM 11)::int < %s""",
                (devices,))
    cur.execute(METRICS_SQL)
    conn.commit()
    _load_days(start, end, lambda t0, t1: _load_day(database_url, devices, start, t0, t1, tables), log)
    log("  vacuum, analyze, checkpoint ...")
    _settle(conn)
    cur.execute("SELECT id, key, idx FROM bench_devices ORDER BY idx")
    result = [{"id": str(row[0]), "key": row[1], "index": row[2]} for row in cur.fetchall()]
    conn.close()
    return result


# One device at the default ingest limits (config.py): 256 metrics. Interface 0 is wired
# ("eth0", traffic only), interfaces 1-126 wireless ("wlan1"...: traffic and WiFi clients),
# plus cpu, memory and disk: 127 + 126 + 3 = 256. Interface k has 4 clients at a time, 5 for
# the first 8 (512 per sample, DEVICE_MAX_WIFI_CLIENTS_PER_SAMPLE), drawn from a pool of 32 per
# interface that shifts by one every hour.
LIMITS_DEVICE = "bench-limits"
LIMITS_INTERFACES = 127
LIMITS_CLIENT_POOL = 32

LIMITS_POINTS_SQL = {
    "traffic_points": """
        INSERT INTO traffic_points (time, device_id, ifname, organization_id,
                                    rx_bytes, tx_bytes, rx_counter, tx_counter)
        SELECT g.t, d.id, i.ifname, d.organization_id, i.rx, i.tx, i.rx * (1000 + g.s), i.tx * (2000 + g.s)
        FROM bench_devices d
        CROSS JOIN (SELECT t, (extract(epoch FROM t - %(start)s) / 300)::bigint AS s
                      FROM generate_series(%(t0)s, %(t1)s, interval '5 minutes') t) g
        CROSS JOIN (SELECT k, CASE WHEN k = 0 THEN 'eth0' ELSE 'wlan' || k END AS ifname,
                           100000 + k * 7919 AS rx, 50000 + k * 3571 AS tx
                      FROM generate_series(0, %(interfaces)s - 1) k) i
        ORDER BY i.ifname, 1""",
    "wifi_client_points": """
        INSERT INTO wifi_client_points (time, device_id, ifname, organization_id, client_mac)
        SELECT g.t, d.id, 'wlan' || k, d.organization_id,
               format('ac:de:48:%%s:%%s:%%s', lpad(to_hex(k / 256), 2, '0'), lpad(to_hex(k %% 256), 2, '0'),
                      lpad(to_hex((g.s / 12 + j) %% %(pool)s), 2, '0'))
        FROM bench_devices d
        CROSS JOIN (SELECT t, (extract(epoch FROM t - %(start)s) / 300)::bigint AS s
                      FROM generate_series(%(t0)s, %(t1)s, interval '5 minutes') t) g
        CROSS JOIN generate_series(1, %(interfaces)s - 1) k
        CROSS JOIN LATERAL generate_series(0, CASE WHEN k <= 8 THEN 4 ELSE 3 END) j
        ORDER BY k, 1""",
    **{table: POINTS_SQL[table] for table in ("cpu_points", "memory_points", "disk_points")},
}

LIMITS_METRICS_SQL = """
    WITH wanted(configuration, name, key, field_name, ifname, alert, chart) AS (
        SELECT 'traffic', ifname || ' traffic', 'traffic', 'rx_bytes', ifname, false, 'traffic'
          FROM (SELECT CASE WHEN k = 0 THEN 'eth0' ELSE 'wlan' || k END FROM generate_series(0, %(interfaces)s - 1) k)
               i(ifname)
        UNION ALL
        SELECT 'clients', 'wlan' || k || ' wifi clients', 'wifi_clients', 'clients', 'wlan' || k, false,
               'wifi_clients'
          FROM generate_series(1, %(interfaces)s - 1) k
        UNION ALL VALUES
        ('cpu', 'CPU usage', 'cpu', 'cpu_usage', '', true, 'cpu'),
        ('memory', 'Memory usage', 'memory', 'percent_used', '', true, 'memory'),
        ('disk', 'Disk usage', 'disk', 'used_disk', '', true, 'disk')),
    created AS (
        INSERT INTO metrics (id, device_id, configuration, name, key, field_name, ifname, is_healthy,
                             is_healthy_tolerant, created)
        SELECT gen_random_uuid(), d.id, w.configuration, w.name, w.key, w.field_name, w.ifname,
               CASE WHEN w.alert THEN true END, CASE WHEN w.alert THEN true END, now()
        FROM bench_devices d CROSS JOIN wanted w
        RETURNING id, configuration, ifname),
    alerts AS (
        INSERT INTO alert_settings (metric_id, is_active)
        SELECT id, true FROM created WHERE configuration IN ('cpu', 'memory', 'disk'))
    INSERT INTO charts (id, metric_id, configuration, created)
    SELECT gen_random_uuid(), c.id, w.chart, now()
    FROM created c JOIN wanted w ON w.configuration = c.configuration AND w.ifname = c.ifname
"""


def _limits_devices_table(cur) -> None:
    cur.execute("""CREATE TEMP TABLE bench_devices ON COMMIT PRESERVE ROWS AS
                   SELECT id, organization_id, 0 AS idx, key FROM devices WHERE name = %s""", (LIMITS_DEVICE,))


def _load_limits_day(database_url: str, start: datetime, t0: datetime, t1: datetime) -> None:
    conn = psycopg2.connect(database_url)
    try:
        cur = conn.cursor()
        cur.execute("SET synchronous_commit = off")
        _limits_devices_table(cur)
        for sql in LIMITS_POINTS_SQL.values():
            cur.execute(sql, {"start": start, "t0": t0, "t1": t1, "interfaces": LIMITS_INTERFACES,
                              "pool": LIMITS_CLIENT_POOL})
        conn.commit()
    finally:
        conn.close()


def load_limits_device(database_url: str, *, days: int, end: datetime | None = None, log=print) -> dict:
    """One device at the default ingest limits (``LIMITS_*`` above) with ``days`` of 5-minute
    history ending at ``end`` (default: 10 minutes ago), its metric, alert and chart rows as
    the POST creates them; returns {id, key, metrics, points}."""
    start, end = _window(days, end)
    conn = psycopg2.connect(database_url)
    cur = conn.cursor()
    cur.execute("""INSERT INTO organizations (id, name, slug, is_active, created, modified)
                   VALUES (gen_random_uuid(), 'bench-limits', 'bench-limits', true, now(), now()) RETURNING id""")
    organization_id = cur.fetchone()[0]
    cur.execute("""INSERT INTO devices (id, organization_id, name, mac_address, key, created, modified)
                   VALUES (gen_random_uuid(), %s, %s, '02:00:00:ff:00:00', %s, now(), now())""",
                (organization_id, LIMITS_DEVICE, secrets.token_hex(16)))
    cur.execute("""INSERT INTO device_monitoring (device_id, status, modified)
                   SELECT id, 'ok', now() FROM devices WHERE name = %s""", (LIMITS_DEVICE,))
    _limits_devices_table(cur)
    cur.execute(LIMITS_METRICS_SQL, {"interfaces": LIMITS_INTERFACES})
    conn.commit()
    _load_days(start, end, lambda t0, t1: _load_limits_day(database_url, start, t0, t1), log)
    _settle(conn)
    cur.execute("SELECT id, key FROM bench_devices")
    device_id, key = cur.fetchone()
    cur.execute("SELECT count(*) FROM metrics WHERE device_id = %s", (device_id,))
    metrics = cur.fetchone()[0]
    cur.execute("SELECT (SELECT count(*) FROM traffic_points) + (SELECT count(*) FROM wifi_client_points)"
                " + (SELECT count(*) FROM cpu_points) * 3")
    points = cur.fetchone()[0]
    conn.close()
    return {"id": str(device_id), "key": key, "metrics": metrics, "points": points}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--organizations", type=int, default=1)
    args = parser.parse_args()
    load_history(args.database_url, devices=args.devices, days=args.days, organizations=args.organizations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
