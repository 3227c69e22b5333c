"""Availability reports: what "up" is, outages and their causes, aggregates, CSV, errors and
tenancy (docs/availability.md)."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from monitoring.extensions import db
from monitoring.models import DeviceGroup, DeviceLocation
from monitoring.services.charts.window import TIME_RANGE_ERROR
from monitoring.timeseries.rollups import refresh_rollups
from tests.availability.support import STEP, checks, day, period

URL = "/api/v1/monitoring/availability/"


def device_url(device) -> str:
    return f"/api/v1/monitoring/device/{device.id}/availability/"


def iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_ping_outage_is_placed_and_counted(client, make, tenants):
    device = make.device(tenants.a)
    start = day(2)
    checks(device, start, "uuuuppppuuuu")  # an hour: 4 slots unreachable
    answer = client.get(device_url(device), query_string=period(start, start + timedelta(hours=1)),
                        headers=tenants.headers_a)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["availability"] == round(100 * 8 / 12, 4)
    assert (body["monitored"], body["downtime"], body["outages_count"]) == (3600, 1200, 1)
    assert body["outages"] == [{"start": iso(start + 4 * STEP), "end": iso(start + 8 * STEP), "duration": 1200,
                                "cause": "ping", "ongoing": False}]
    assert body["mtbf"] == 2400 and body["mttr"] == 1200
    assert body["device"]["id"] == str(device.id)


def test_causes_data_only_devices_and_an_ongoing_outage(client, make, tenants):
    silent, both = make.device(tenants.a), make.device(tenants.a)
    start = day(1)
    checks(silent, start, "uuddduuudd", ping=False)  # no address: judged by data collected only
    checks(both, start, "uupbduuuuu")
    query = period(start, start + 10 * STEP - timedelta(seconds=1))
    body = client.get(device_url(silent), query_string=query, headers=tenants.headers_a).get_json()
    assert [(o["cause"], o["duration"], o["ongoing"]) for o in body["outages"]] == [
        ("data", 900, False), ("data", 599, True)]
    assert body["availability"] == 50.0 and body["mttr"] == 900
    body = client.get(device_url(both), query_string=query, headers=tenants.headers_a).get_json()
    assert [(o["cause"], o["duration"]) for o in body["outages"]] == [("both", 900)]


def test_slots_without_verdict_count_for_nothing_but_do_not_end_an_outage(client, make, tenants):
    device = make.device(tenants.a)
    start = day(1)
    checks(device, start, "uup..pu...")
    body = client.get(device_url(device), query_string=period(start, start + timedelta(minutes=50)),
                      headers=tenants.headers_a).get_json()
    assert body["monitored"] == 5 * 300 and body["downtime"] == 2 * 300
    assert [(o["start"], o["duration"]) for o in body["outages"]] == [(iso(start + 2 * STEP), 4 * 300)]


def test_a_device_never_checked_has_no_availability(client, make, tenants):
    device = make.device(tenants.a)
    body = client.get(device_url(device), query_string={"time": "1d"}, headers=tenants.headers_a).get_json()
    assert body["availability"] is None and body["monitored"] == 0 and body["outages"] == []
    assert body["mtbf"] is None and body["mttr"] is None


def test_aggregates_are_weighted_by_monitored_time(client, make, tenants, app_context):
    group = DeviceGroup(name="core", organization_id=tenants.a.id)
    db.session.add(group)
    db.session.commit()
    location = make.location(tenants.a)
    busy, quiet = make.device(tenants.a, group_id=group.id), make.device(tenants.a)
    db.session.add(DeviceLocation(device_id=quiet.id, location_id=location.id))
    db.session.commit()
    start = day(3)
    checks(busy, start, "u" * 10 + "p" * 2)   # 12 slots, 2 down
    checks(quiet, start, "uuuu")               # 4 slots, none down
    body = client.get(URL, query_string=period(start, start + timedelta(hours=1)), headers=tenants.headers_a).get_json()
    assert body["summary"]["availability"] == round(100 * 14 / 16, 4)
    assert body["summary"]["devices"] == 2 and body["summary"]["outages_count"] == 1
    [organization] = body["organizations"]
    assert (organization["id"], organization["slug"], organization["availability"]) == (
        str(tenants.a.id), tenants.a.slug, round(100 * 14 / 16, 4))
    assert [(g["name"], g["devices"], g["availability"]) for g in body["groups"]] == [("core", 1, round(1000 / 12, 4))]
    assert [(g["id"], g["availability"]) for g in body["locations"]] == [(str(location.id), 100.0)]
    assert body["count"] == 2 and [r["device"]["id"] for r in body["results"]] == sorted(
        [str(busy.id), str(quiet.id)], key=lambda i: {str(busy.id): busy.name, str(quiet.id): quiet.name}[i])

    filtered = client.get(URL, query_string={**period(start, start + timedelta(hours=1)), "group": str(group.id)},
                          headers=tenants.headers_a).get_json()
    assert [r["device"]["id"] for r in filtered["results"]] == [str(busy.id)]
    by_location = client.get(URL, query_string={**period(start, start + timedelta(hours=1)),
                                                "location": str(location.id)}, headers=tenants.headers_a).get_json()
    assert [r["device"]["id"] for r in by_location["results"]] == [str(quiet.id)]


def test_csv_of_devices_and_of_a_device_outages(client, make, tenants):
    device = make.device(tenants.a)
    start = day(2)
    checks(device, start, "uuppuu")
    query = {**period(start, start + 6 * STEP), "csv": "true"}
    answer = client.get(URL, query_string=query, headers=tenants.headers_a)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    [row] = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert (row["device"], row["availability"], row["downtime_seconds"], row["outages"]) == (
        device.name, str(round(400 / 6, 4)), "600", "1")
    answer = client.get(device_url(device), query_string=query, headers=tenants.headers_a)
    [outage] = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert outage == {"start": (start + 2 * STEP).isoformat(), "end": (start + 4 * STEP).isoformat(),
                      "duration_seconds": "600", "cause": "ping", "ongoing": "false"}


def test_pages_of_devices(client, make, tenants):
    for _ in range(3):
        make.device(tenants.a)
    body = client.get(URL, query_string={"page_size": 2, "time": "1d"}, headers=tenants.headers_a).get_json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"].endswith("page=2")
    assert body["summary"]["devices"] == 3
    answer = client.get(URL, query_string={"page": 3, "page_size": 2}, headers=tenants.headers_a)
    assert answer.status_code == 404 and answer.get_json() == {"detail": "Invalid page."}


def test_bad_parameters_are_400_and_other_tenants_invisible(client, make, tenants):
    mine, theirs = make.device(tenants.a), make.device(tenants.b)
    assert client.get(URL, query_string={"time": "400d"}, headers=tenants.headers_a).get_json() == [
        TIME_RANGE_ERROR]
    assert client.get(device_url(mine), query_string={"timezone": "Mars/Base"},
                      headers=tenants.headers_a).status_code == 400
    for name, value in (("organization", tenants.b.id), ("device", theirs.id), ("group", "not-a-uuid")):
        answer = client.get(URL, query_string={name: str(value)}, headers=tenants.headers_a)
        assert answer.status_code == 400 and list(answer.get_json()) == [name]
    assert client.get(device_url(theirs), headers=tenants.headers_a).status_code == 404
    body = client.get(URL, headers=tenants.headers_a).get_json()
    assert [r["device"]["id"] for r in body["results"]] == [str(mine.id)]
    assert client.get(URL).status_code == 401
    member = make.user(member_of=[tenants.a])
    assert client.get(URL, headers=make.headers(member)).status_code == 403


def test_rollups_and_raw_points_give_the_same_report(client, make, tenants, app_context):
    """Three days of checks with outages across hour and day boundaries: the report before
    any refresh (all raw) equals the one after (whole hours and days from the rollups)."""
    devices = [make.device(tenants.a) for _ in range(3)]
    start = day(4)
    slots_per_day = 288
    pattern = {
        0: "u" * 280 + "pppppppp" + "pppp" + "u" * 284 + ("u" * 100 + "b" * 3 + "u" * 185),
        # Down at the end of a day, up again after an hour without checks into a clean day.
        1: ("u" * 50 + "d" * 30 + "u" * 200 + "d" * 8) + ("." * 12 + "u" * 276) + ("u" * 287 + "p"),
        2: "u" * (3 * slots_per_day),
    }
    for n, device in enumerate(devices):
        checks(device, start, pattern[n])
    queries = [period(start + timedelta(minutes=7), start + timedelta(days=3, minutes=-3)),
               period(start, start + timedelta(days=3)),
               {**period(start, start + timedelta(days=2)), "timezone": "Asia/Kolkata"}]  # half-hour edges

    def reports():
        return [client.get(URL, query_string=q, headers=tenants.headers_a).get_json() for q in queries]

    before = reports()
    refresh_rollups(db.session, since=start - timedelta(days=1))
    rolled = db.session.execute(db.text("SELECT count(*) FROM availability_rollups WHERE grain = '1 day'")).scalar()
    assert rolled == 9
    assert reports() == before
    bridged = next(r for r in before[1]["results"] if r["device"]["id"] == str(devices[1].id))["outages"][1]
    assert (bridged["start"], bridged["duration"]) == (iso(start + 280 * STEP), 20 * 300)

    # The rollups are really read: without the raw points of a clean day, nothing changes.
    db.session.execute(db.text("DELETE FROM ping_points WHERE device_id = :d AND time >= :a AND time < :b"),
                       {"d": devices[2].id, "a": start + timedelta(days=1), "b": start + timedelta(days=2)})
    db.session.commit()
    assert reports() == before
