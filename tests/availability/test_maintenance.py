"""Availability reports and maintenance windows: the slots a window covers count for nothing
(out of the denominator, not ending an outage), and the report lists the windows' occurrences
(docs/availability.md)."""
from __future__ import annotations

from datetime import datetime, timedelta

from monitoring.extensions import db
from monitoring.timeseries.rollups import refresh_rollups
from tests.availability.support import STEP, checks, day, period
from tests.availability.test_reports import URL, device_url, iso
from tests.maintenance.support import create_window


def report(client, device, headers, query) -> dict:
    answer = client.get(device_url(device), query_string=query, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_slots_in_a_window_are_not_counted_and_the_window_is_listed(client, make, tenants, app_context):
    device, other = make.device(tenants.a), make.device(tenants.a)
    start = day(2)
    # Two hours: down for the first half hour, and from minute 45 to 90; a window over part of it.
    verdicts = "pppppp" + "uuu" + "ppppppppp" + "uuuuuu"
    checks(device, start, verdicts)
    checks(other, start, verdicts)
    # From minute 47 to 80: it touches the slot of minutes 45-50, which is left out too.
    window = create_window(client, tenants.headers_a, tenants.a, name="firmware", devices=[str(device.id)],
                           start=iso(start + timedelta(minutes=47)), end=iso(start + timedelta(minutes=80)))
    query = period(start, start + timedelta(hours=2) - timedelta(seconds=1))

    body = report(client, device, tenants.headers_a, query)
    # Slots 9 to 15 are in the window: 24 - 7 monitored, 6 + 2 down.
    assert (body["monitored"], body["downtime"]) == (17 * 300, 8 * 300)
    assert body["availability"] == round(100 * 9 / 17, 4)
    assert [(o["start"], o["end"], o["duration"]) for o in body["outages"]] == [
        (iso(start), iso(start + 6 * STEP), 1800), (iso(start + 16 * STEP), iso(start + 18 * STEP), 600)]
    assert body["maintenance"] == [{"window": window["id"], "name": "firmware",
                                    "start": iso(start + timedelta(minutes=47)),
                                    "end": iso(start + timedelta(minutes=80))}]
    untouched = report(client, other, tenants.headers_a, query)
    assert (untouched["monitored"], untouched["downtime"], untouched["outages_count"]) == (24 * 300, 15 * 300, 2)
    assert untouched["maintenance"] == []

    summary = client.get(URL, query_string=query, headers=tenants.headers_a).get_json()["summary"]
    assert (summary["monitored"], summary["downtime"], summary["outages_count"]) == (41 * 300, 23 * 300, 4)


def test_an_outage_runs_on_through_a_window(client, make, tenants):
    device = make.device(tenants.a)
    start = day(2)
    checks(device, start, "uu" + "pppp" + "pppppp" + "ppuu")
    create_window(client, tenants.headers_a, tenants.a, devices=[str(device.id)],
                  start=iso(start + 6 * STEP), end=iso(start + 12 * STEP))
    body = report(client, device, tenants.headers_a, period(start, start + 16 * STEP - timedelta(seconds=1)))
    # Down before the window and after it: one outage, from its first down slot to the first up
    # one, of which only the slots outside the window are downtime.
    assert (body["monitored"], body["downtime"]) == (10 * 300, 6 * 300)
    assert [(o["start"], o["end"]) for o in body["outages"]] == [(iso(start + 2 * STEP), iso(start + 14 * STEP))]


def test_a_window_covering_everything_leaves_nothing_monitored(client, make, tenants):
    device = make.device(tenants.a)
    start = day(3)
    checks(device, start, "uuppuu")
    create_window(client, tenants.headers_a, tenants.a, whole_organization=True,
                  start=iso(start - timedelta(hours=1)), end=iso(start + timedelta(hours=1)))
    body = report(client, device, tenants.headers_a, period(start, start + 6 * STEP))
    assert body["availability"] is None and body["monitored"] == 0 and body["outages"] == []
    assert len(body["maintenance"]) == 1


def test_weekly_occurrences_follow_the_clocks_across_dst(client, make, tenants):
    """Sundays 02:00 in Rome for two hours (as tests/maintenance): in UTC an hour earlier in
    summer time than in winter time; 2026-10-25 starts at the second 02:00, 01:00 UTC."""
    device = make.device(tenants.a)
    create_window(client, tenants.headers_a, tenants.a, name="weekly", start="2026-01-01T00:00:00Z",
                  timezone="Europe/Rome", recurrence={"days": ["sun"], "time": "02:00", "duration": 120},
                  devices=[str(device.id)])
    body = report(client, device, tenants.headers_a, period(datetime(2026, 10, 18, 1), datetime(2026, 11, 1, 2)))
    assert [(m["name"], m["start"], m["end"]) for m in body["maintenance"]] == [
        ("weekly", "2026-10-18T00:00:00.000000Z", "2026-10-18T02:00:00.000000Z"),  # in the range from 01:00
        ("weekly", "2026-10-25T01:00:00.000000Z", "2026-10-25T03:00:00.000000Z"),
        ("weekly", "2026-11-01T01:00:00.000000Z", "2026-11-01T03:00:00.000000Z"),
    ]


def test_rollups_and_raw_points_give_the_same_report_with_windows(client, make, tenants, app_context):
    """Outages, a weekly and a one-off window across hour and day boundaries: the reports
    before any refresh (all raw) equal those after (rollups, windows applied to their slots)."""
    devices = [make.device(tenants.a) for _ in range(3)]
    start = day(4)
    pattern = {
        0: "u" * 270 + "p" * 30 + "u" * 276 + "d" * 5 + "u" * 283,
        1: "u" * 100 + "b" * 200 + "." * 24 + "u" * 540,
        2: "u" * 864,
    }
    for n, device in enumerate(devices):
        checks(device, start, pattern[n])
    weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(start + timedelta(days=1)).weekday()]
    create_window(client, tenants.headers_a, tenants.a, whole_organization=True, start=iso(start),
                  recurrence={"days": [weekday], "time": "00:42", "duration": 95}, timezone="Asia/Kolkata")
    create_window(client, tenants.headers_a, tenants.a, devices=[str(devices[1].id), str(devices[2].id)],
                  start=iso(start + 150 * STEP + timedelta(minutes=2)), end=iso(start + 330 * STEP))
    queries = [period(start + timedelta(minutes=7), start + timedelta(days=3, minutes=-3)),
               period(start, start + timedelta(days=3)),
               {**period(start, start + timedelta(days=2)), "timezone": "Asia/Kolkata"}]

    def reports():
        return [client.get(URL, query_string=q, headers=tenants.headers_a).get_json() for q in queries]

    before = reports()
    assert all(len(r["results"]) == 3 for r in before)
    assert any(r["maintenance"] for r in before[1]["results"])
    refresh_rollups(db.session, since=start - timedelta(days=1))
    assert reports() == before
