"""Nearby devices and WiFi session list benchmark.

Bulk-loads (COPY and INSERT … SELECT) 100,000 devices in 10 organizations, each at its own
location (clustered around 200 towns, as real deployments are), each with the standard
NetJSON snapshot as its latest status; and 1,000,000 WiFi sessions of 200,000 clients on
5,000 access points over 90 days. Then, against gunicorn as ``make run`` starts it, times
sequential requests (after a warm-up):

- nearby devices with ``distance__lte=5000&page_size=10``, as the device (key) and as a
  superuser; goal p50 <= 30 ms;
- the WiFi session list filtered by device and by organization (superuser), and as the
  manager of one organization without filters; goal p50 <= 50 ms.

    make bench-geo                     # or: .venv/bin/python bench/geo.py --requests 200
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg2
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database, gunicorn  # noqa: E402
from bench.workload import make_payload  # noqa: E402

ORGANIZATIONS = 10
TOWNS = 200
MODELS = ("TP-Link Archer C50", "TP-Link Archer C60", "Ubiquiti UniFi AP AC Lite", "GL.iNet GL-AR750")
STATUSES = ("ok", "ok", "ok", "problem", "critical", "unknown")


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row) + "\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def load(database_url: str, *, devices: int, sessions: int, access_points: int, clients: int) -> dict:
    """Fill the database; returns what the requests need (ids, keys)."""
    rng = random.Random(4)
    connection = psycopg2.connect(database_url)
    cursor = connection.cursor()
    organizations = [(uuid.UUID(int=rng.getrandbits(128), version=4), f"bench-{n}") for n in range(ORGANIZATIONS)]
    _copy(cursor, "organizations", ("id", "name", "slug"), ((o, n, n) for o, n in organizations))

    # Towns somewhere between Lisbon and Helsinki; devices scattered around them, most
    # within a few kilometres of the centre.
    towns = [(rng.uniform(36.0, 60.0), rng.uniform(-9.0, 25.0), rng.uniform(1.5, 15.0)) for _ in range(TOWNS)]
    device_rows, location_rows, placed = [], [], []
    for i in range(devices):
        device_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        location_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        organization_id = organizations[i % ORGANIZATIONS][0]
        lat0, lon0, spread_km = towns[rng.randrange(TOWNS)]
        latitude = max(-90.0, min(90.0, lat0 + rng.gauss(0, spread_km) / 111.2))
        longitude = lon0 + rng.gauss(0, spread_km) / (111.2 * math.cos(math.radians(lat0)))
        key = uuid.UUID(int=rng.getrandbits(128)).hex
        device_rows.append((device_id, organization_id, f"bench-dev-{i:06d}", f"02:{i >> 24 & 255:02x}:"
                            f"{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}:00", key,
                            MODELS[i % len(MODELS)]))
        location_rows.append((location_id, organization_id, f"bench-location-{i:06d}", latitude, longitude))
        placed.append((device_id, location_id))
    _copy(cursor, "devices", ("id", "organization_id", "name", "mac_address", "key", "model"), device_rows)
    _copy(cursor, "device_monitoring", ("device_id", "status"),
          ((row[0], STATUSES[n % len(STATUSES)]) for n, row in enumerate(device_rows)))
    _copy(cursor, "locations", ("id", "organization_id", "name", "latitude", "longitude"), location_rows)
    _copy(cursor, "device_locations", ("device_id", "location_id"), placed)

    # The standard sample, as every device's latest status.
    cursor.execute(
        "INSERT INTO device_data (device_id, data, sample_time) SELECT id, %s::jsonb, now() FROM devices",
        (json.dumps(make_payload(0, 0)),),
    )

    # Sessions: access points are the first devices of each organization in turn; start
    # times spread over 90 days, each lasting up to 4 hours, the newest 2 % still open.
    cursor.execute(
        """
        CREATE TEMP TABLE access_points AS
        SELECT row_number() OVER (ORDER BY name) - 1 AS n, id FROM devices ORDER BY name LIMIT %(aps)s;
        INSERT INTO wifi_clients (mac_address, wmm, ht, vht)
        SELECT format('aa:%%s:%%s:%%s', lpad(to_hex(g >> 16), 2, '0'), lpad(to_hex((g >> 8) & 255), 2, '0'),
                      lpad(to_hex(g & 255), 2, '0')) || ':00:00', true, true, g %% 2 = 0
        FROM generate_series(0, %(clients)s - 1) AS g;
        SELECT setseed(0.4);
        INSERT INTO wifi_sessions (id, device_id, wifi_client_id, ssid, interface_name, start_time, stop_time, modified)
        SELECT gen_random_uuid(), ap.id,
               format('aa:%%s:%%s:%%s', lpad(to_hex(c >> 16), 2, '0'), lpad(to_hex((c >> 8) & 255), 2, '0'),
                      lpad(to_hex(c & 255), 2, '0')) || ':00:00',
               'bench', 'wlan0', s.start_time,
               CASE WHEN s.g > %(sessions)s * 0.98 THEN NULL ELSE s.start_time + random() * interval '4 hours' END,
               s.start_time
        FROM (SELECT g, now() - interval '90 days' * (1 - g::float8 / %(sessions)s) AS start_time,
                     (g::bigint * 7919) %% %(clients)s AS c, g %% %(aps)s AS ap_n
              FROM generate_series(1, %(sessions)s) AS g) AS s
        JOIN access_points AS ap ON ap.n = s.ap_n;
        """,
        {"aps": access_points, "clients": clients, "sessions": sessions},
    )
    cursor.execute("SELECT id FROM access_points ORDER BY n")
    access_point_ids = [row[0] for row in cursor.fetchall()]
    connection.commit()
    connection.autocommit = True
    cursor.execute("VACUUM ANALYZE")
    connection.close()
    return {
        "devices": [(row[0], row[4]) for row in device_rows],
        "organizations": [o for o, _ in organizations],
        "access_points": access_point_ids,
    }


def tokens(database_url: str, organization_id: uuid.UUID) -> tuple[str, str]:
    """A superuser's token and the token of the manager of one organization."""
    os.environ["DATABASE_URL"] = database_url
    from monitoring import create_app
    from monitoring.extensions import db
    from monitoring.models import OrganizationUser, User
    from monitoring.services.accounts import tokens as token_service
    from monitoring.services.accounts.users import hash_password

    app = create_app()
    with app.app_context():
        superuser = User(username="bench-admin", password_hash=hash_password("x" * 12), is_superuser=True)
        manager = User(username="bench-manager", password_hash=hash_password("x" * 12))
        manager.memberships.append(OrganizationUser(organization_id=organization_id, is_admin=True))
        db.session.add_all([superuser, manager])
        db.session.commit()
        return token_service.issue_token(user=superuser), token_service.issue_token(user=manager)


def timed(http: requests.Session, urls: list[str], headers: dict | None = None) -> tuple[list[float], dict]:
    """Milliseconds per request (each must answer 200) and the last body."""
    latencies, body = [], {}
    for url in urls:
        started = time.perf_counter()
        response = http.get(url, headers=headers, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
        body = response.json()
    return latencies, body


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--access-points", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    rng = random.Random(7)
    results = []
    with database() as database_url:
        started = time.monotonic()
        data = load(database_url, devices=args.devices, sessions=args.sessions,
                    access_points=args.access_points, clients=args.clients)
        print(f"loaded {args.devices} located devices, {args.sessions} WiFi sessions "
              f"in {time.monotonic() - started:.0f} s")
        admin_token, manager_token = tokens(database_url, data["organizations"][0])
        admin = {"Authorization": f"Bearer {admin_token}"}
        manager = {"Authorization": f"Bearer {manager_token}"}
        with gunicorn(database_url) as (base, process):
            http = requests.Session()
            count = args.warmup + args.requests

            def nearby(as_device: bool, radius: str = "distance__lte=5000&", requests: int = count) -> list[str]:
                urls = []
                for device_id, key in rng.sample(data["devices"], requests):
                    auth = f"&key={key}" if as_device else ""
                    urls.append(f"{base}/api/v1/monitoring/device/{device_id}/nearby-devices/"
                                f"?{radius}page_size=10{auth}")
                return urls

            sessions_url = f"{base}/api/v1/monitoring/wifi-session/"
            cases = [
                ("nearby-devices distance__lte=5000, device key", nearby(True), None, 30),
                ("nearby-devices distance__lte=5000, superuser", nearby(False), admin, 30),
                ("wifi-session ?device=<access point>, superuser",
                 [f"{sessions_url}?device={rng.choice(data['access_points'])}" for _ in range(count)], admin, 50),
                ("wifi-session ?device__organization=<org>, superuser",
                 [f"{sessions_url}?device__organization={rng.choice(data['organizations'])}"
                  for _ in range(count)], admin, 50),
                ("wifi-session, manager of one organization (no filter)",
                 [f"{sessions_url}?page={rng.randint(1, 5)}" for _ in range(count)], manager, 50),
                ("wifi-session, superuser (no filter, all 1M counted)",
                 [sessions_url] * count, admin, None),
                # Every located device is a candidate (and counted): no goal, shown for scale.
                ("nearby-devices without distance__lte, superuser",
                 nearby(False, radius="", requests=args.warmup + 50), admin, None),
            ]
            for name, urls, headers, goal in cases:
                timed(http, urls[:args.warmup], headers)
                latencies, body = timed(http, urls[args.warmup:], headers)
                results.append((name, latencies, body.get("count"), goal))

    print(f"sequential requests after {args.warmup} warm-up ({args.requests} per case unless noted); "
          "gunicorn with gunicorn.conf.py defaults")
    met = True
    for name, latencies, last_count, goal in results:
        p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
        verdict = "" if goal is None else (f"  goal p50 <= {goal} ms: " + ("met" if p50 <= goal else "NOT MET"))
        met &= goal is None or p50 <= goal
        print(f"  {name:58s} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  n={len(latencies)} "
              f"(last count {last_count}){verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
