"""The office network that the rollup oracle charts (``tests/charts/test_rollups.py``): an
access point and a router reporting every 20 minutes for eleven and a half days, up to
minutes before the test's "now".

The oracle compares each chart read from rollups with the same chart read from raw points,
so the readings may be anything: they are random, from a fixed seed. What matters are the
events below, each a way in which reading rollups could go wrong; keep them all when
changing the scenario.

- Time: samples on the hour fall exactly on it (the first instant of a bucket), the others
  some seconds into their minute. Europe/Rome leaves summer time on 27 October. The test
  moves the watermark mid-hour, then just after Rome's change, then to now; the samples of
  now's hour are newer than the last whole hour.
- The access point (first organization) has every metric its page charts. It moves from the
  lobby (with a floorplan) to the annex (without) in the middle of an hour, and is silent
  for three hours across a midnight (an upgrade).
- The router (second organization) has no metric and no location: its traffic and clients
  count in the dashboard only. A power cut silences it for half a day.
- Ping: now and then unreachable (no round trip times, 100 % loss).
- Signal: each field missing at its own rate, so fields are counted apart; several access
  technologies, so hours where two or three tie (the first seen wins).
- WiFi clients: the staff on duty use the access point (none to three at a time: none is no
  point at all) and the router (one to three). Shifts overlap, and so do the two devices'
  staff. A client seen on the first day returns just after each of the test's first two
  watermarks: it has an id but is in no bitmap of its bucket. In the last sample, a school
  visit brings more phones than a page of client ids holds: they are new clients until the
  last refresh, then clients with ids read raw (the newest points, after the last hour).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.extensions import db
from monitoring.models import Device, FloorPlan, Location, Organization
from monitoring.timeseries.chart_tables import CLIENT_PAGE_BITS
from tests.charts.support import TABLES, add_metric, add_points, at, clients, ping, resource, signal, traffic

# --- the timeline (UTC) -------------------------------------------------------------------
FIRST = at("2024-10-20 00:00:00")
LAST = at("2024-10-31 10:00:00")  # the last sample
NOW = at("2024-10-31 10:17:00")
EVERY = timedelta(minutes=20)
NEWEST = LAST + timedelta(seconds=59)  # no point is newer
WATERMARKS = (at("2024-10-26 13:27:00"), at("2024-10-28 00:43:00"), NOW)  # where the test refreshes up to

AP_MOVES = at("2024-10-25 13:20:00")  # from the lobby to the annex
AP_SILENT = (at("2024-10-22 22:30:00"), at("2024-10-23 01:30:00"))
ROUTER_SILENT = (at("2024-10-23 20:00:00"), at("2024-10-24 08:00:00"))

# --- what the devices report ----------------------------------------------------------------
AP_METRICS = (("ping", ""), ("cpu", ""), ("memory", ""), ("disk", ""), ("clients", "wlan0"), ("traffic", "eth0"),
              ("traffic", "wlan0"), ("signal_strength", "lte0"), ("signal_quality", "lte0"),
              ("access_tech", "lte0"))
UNREACHABLE = 1 / 9  # the share of pings without an answer
MISSING = {"signal_strength": 0.1, "signal_power": 0.25, "signal_quality": 0.5}  # share of samples without it
ACCESS_TECH_CODES = (4, 4, 3, 5)  # stored codes, weighted: 4G mostly (netjson.ACCESS_TECHNOLOGIES names them)

AP_SHIFT, ROUTER_SHIFT = timedelta(hours=10), timedelta(hours=15)
RETURNING_CLIENT = "aa:ff:00:00:00:01"
RETURNS = (FIRST, at("2024-10-26 13:40:00"), at("2024-10-28 01:00:00"))
VISIT = (LAST, NOW)
VISITORS = CLIENT_PAGE_BITS


@dataclass(frozen=True)
class OfficeNetwork:
    """The parts of the written network that the charts are asked about."""

    access_point: Device
    organizations: tuple[Organization, Organization]
    lobby: Location
    annex: Location
    lobby_floorplan_id: int


def during(span: tuple[datetime, datetime], time: datetime) -> bool:
    return span[0] <= time < span[1]


def sample_times() -> list[datetime]:
    times, time = [], FIRST
    while time <= LAST:
        times.append(time)
        time += EVERY
    return times


def mac(prefix: int, number: int) -> str:
    return f"{prefix:02x}:00:00:00:{number // 256:02x}:{number % 256:02x}"


def staff(time: datetime, shift: timedelta, count: int) -> list[str]:
    """``count`` clients on duty: the n-th shift (of this length, from FIRST) is clients
    n, n + 1, …, so a client stays over several shifts, and the two devices share some."""
    first = (time - FIRST) // shift
    return [mac(0xAA, number) for number in range(first, first + count)]


def access_point_clients(time: datetime, rng: random.Random) -> list[str]:
    macs = staff(time, AP_SHIFT, rng.randrange(4))
    if time in RETURNS:
        macs.append(RETURNING_CLIENT)
    if during(VISIT, time):
        macs += [mac(0xBB, number) for number in range(VISITORS)]
    return macs


def add_sample(rows: dict[str, list], device: Device, time: datetime, rng: random.Random, *, tags: dict,
               traffic_on: tuple[str, ...], wifi: tuple[str, list[str]]) -> None:
    """One sample of every kind of point, with random readings."""
    if time.minute:
        time += timedelta(seconds=rng.randrange(60))
    moment = time.strftime("%Y-%m-%d %H:%M:%S")
    if rng.random() < UNREACHABLE:
        rows["ping_points"].append(ping(device, moment, 0, loss=100.0))
    else:
        rows["ping_points"].append(ping(device, moment, 1, loss=rng.uniform(0, 5), rtt_min=rng.uniform(1, 2),
                                        rtt_max=rng.uniform(8, 12), rtt_avg=rng.uniform(3, 6)))
    rows["cpu_points"].append(resource(device, "cpu_points", moment, rng.uniform(0, 100)))
    rows["memory_points"].append(resource(device, "memory_points", moment, rng.uniform(40, 48)))
    rows["disk_points"].append(resource(device, "disk_points", moment, rng.uniform(55.5, 56.5)))
    readings = {"signal_strength": -rng.uniform(60, 80), "signal_power": -rng.uniform(90, 105),
                "signal_quality": -rng.uniform(0.5, 12)}
    present = {name: value for name, value in readings.items() if rng.random() >= MISSING[name]}
    rows["signal_points"].append(signal(device, moment, snr=rng.uniform(-4.5, 4.5),
                                        access_tech=rng.choice(ACCESS_TECH_CODES), **present))
    for ifname in traffic_on:
        rows["traffic_points"].append(
            traffic(device, moment, ifname, rng.randrange(50_000_000), rng.randrange(90_000_000), **tags))
    ifname, macs = wifi
    rows["wifi_client_points"].extend(clients(device, moment, ifname, macs, **tags))


def write_office_network(make) -> OfficeNetwork:
    """The devices, places and metrics of the scenario, and all their points."""
    first_org, second_org = make.org(), make.org()
    access_point, router = make.device(first_org), make.device(second_org)
    lobby, annex = make.location(first_org, name="lobby"), make.location(first_org, name="annex")
    floorplan = FloorPlan(organization_id=first_org.id, location_id=lobby.id, floor=1)
    db.session.add(floorplan)
    db.session.commit()
    for configuration, ifname in AP_METRICS:
        add_metric(access_point, configuration, ifname=ifname, name=f"{ifname} {configuration}")
    in_lobby = {"organization_id": first_org.id, "location_id": lobby.id, "floorplan_id": floorplan.id}
    in_annex = {"organization_id": first_org.id, "location_id": annex.id, "floorplan_id": None}
    nowhere = {"organization_id": second_org.id, "location_id": None, "floorplan_id": None}
    ap_random, router_random = random.Random("access point"), random.Random("router")
    rows = {name: [] for name in TABLES}
    for time in sample_times():
        if not during(AP_SILENT, time):
            add_sample(rows, access_point, time, ap_random, tags=in_lobby if time < AP_MOVES else in_annex,
                       traffic_on=("eth0", "wlan0"), wifi=("wlan0", access_point_clients(time, ap_random)))
        if not during(ROUTER_SILENT, time):
            add_sample(rows, router, time, router_random, tags=nowhere, traffic_on=("wan",),
                       wifi=("wlan1", staff(time, ROUTER_SHIFT, router_random.randrange(1, 4))))
    for name, table_rows in rows.items():
        add_points(name, table_rows)
    return OfficeNetwork(access_point, (first_org, second_org), lobby, annex, floorplan.id)
