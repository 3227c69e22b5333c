"""The maintenance window resource: what it takes and refuses, who sees what, when a window
is open (weekly in a time zone, across DST changes), and devices shown in maintenance."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from monitoring.extensions import db
from monitoring.models import MaintenanceWindow, utcnow
from tests.maintenance.support import URL, create_window, in_maintenance


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_an_ad_hoc_silence_of_the_whole_organization(client, tenants):
    before = utcnow()
    window = create_window(client, tenants.headers_a, tenants.a, duration=30, whole_organization=True)
    start = datetime.fromisoformat(window["start"].replace("Z", "+00:00"))
    assert before <= start <= utcnow()
    assert datetime.fromisoformat(window["end"].replace("Z", "+00:00")) - start == timedelta(minutes=30)
    assert window["is_open"] is True and window["recurrence"] is None and window["timezone"] == "UTC"
    assert (window["devices"], window["groups"], window["locations"]) == ([], [], [])
    assert client.get(f"{URL}{window['id']}/", headers=tenants.headers_a).get_json() == window


def test_a_weekly_window_reads_back_as_given(client, tenants, make):
    device = make.device(tenants.a)
    window = create_window(client, tenants.headers_a, tenants.a, start="2026-01-01T00:00:00Z",
                           recurrence={"days": ["sun", "sat", "sun"], "time": "02:30", "duration": 90},
                           timezone="Europe/Rome", devices=[str(device.id)])
    assert window["recurrence"] == {"days": ["sat", "sun"], "time": "02:30", "duration": 90}
    assert window["end"] is None and window["devices"] == [str(device.id)]


BAD = [
    ({"whole_organization": True}, "end"),  # one-off without end
    ({"whole_organization": True, "start": "2026-05-01T10:00:00Z", "end": "2026-05-01T09:00:00Z"}, "end"),
    ({"whole_organization": True, "end": "2999-01-01T00:00:00Z", "duration": 10}, "duration"),
    ({"duration": 10}, "whole_organization"),  # covers nothing
    ({"duration": 10, "whole_organization": True, "devices": ["DEVICE"]}, "whole_organization"),
    ({"duration": 10, "whole_organization": True, "timezone": "Mars/Olympus"}, "timezone"),
    ({"whole_organization": True, "recurrence": {"days": ["sunday"], "time": "02:00", "duration": 60}},
     "recurrence"),
    ({"whole_organization": True, "recurrence": {"days": ["sun"], "time": "25:00", "duration": 60}}, "recurrence"),
    ({"whole_organization": True, "recurrence": {"days": [], "time": "02:00", "duration": 60}}, "recurrence"),
    ({"whole_organization": True, "recurrence": {"days": ["sun"], "time": "02:00", "duration": 0}}, "recurrence"),
    ({"whole_organization": True, "start": "9999-12-31T23:00:00Z", "duration": 600}, "start"),
    ({"devices": ["FOREIGN"], "duration": 10}, "devices"),
    ({"groups": ["00000000-0000-4000-8000-000000000000"], "duration": 10}, "groups"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_windows_are_refused_by_field_with_nothing_written(client, tenants, make, body, field):
    own, foreign = make.device(tenants.a), make.device(tenants.b)
    ids = {"DEVICE": str(own.id), "FOREIGN": str(foreign.id)}
    if "devices" in body:
        body = {**body, "devices": [ids[name] for name in body["devices"]]}
    response = client.post(URL, json={"organization": str(tenants.a.id), "name": "w", **body},
                           headers=tenants.headers_a)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()
    assert db.session.scalar(select(func.count()).select_from(MaintenanceWindow)) == 0


def test_managers_see_only_their_organizations_windows(client, tenants, make):
    mine = create_window(client, tenants.headers_a, tenants.a, duration=10, whole_organization=True)
    theirs = create_window(client, tenants.headers_b, tenants.b, duration=10, whole_organization=True)
    listed = client.get(URL, headers=tenants.headers_a).get_json()
    assert [w["id"] for w in listed["results"]] == [mine["id"]]
    for method in ("get", "delete"):
        assert getattr(client, method)(f"{URL}{theirs['id']}/", headers=tenants.headers_a).status_code == 404
    assert client.get(f"{URL}{theirs['id']}/held-notification/", headers=tenants.headers_a).status_code == 404
    refused = client.post(URL, json={"organization": str(tenants.b.id), "name": "w", "duration": 5,
                                     "whole_organization": True}, headers=tenants.headers_a)
    assert refused.status_code == 400 and "organization" in refused.get_json()
    assert client.get(URL).status_code == 401
    everything = client.get(URL, headers=tenants.headers_super).get_json()
    assert everything["count"] == 2


def test_the_list_filters_open_windows(client, tenants):
    open_now = create_window(client, tenants.headers_a, tenants.a, duration=10, whole_organization=True)
    create_window(client, tenants.headers_a, tenants.a, start="2030-01-01T00:00:00Z",
                  end="2030-01-02T00:00:00Z", whole_organization=True)
    listed = client.get(f"{URL}?is_open=true", headers=tenants.headers_a).get_json()
    assert [w["id"] for w in listed["results"]] == [open_now["id"]]
    assert client.get(f"{URL}?is_open=false", headers=tenants.headers_a).get_json()["count"] == 1


def test_a_patch_replaces_only_the_targets_it_names(client, tenants, make):
    first, second = make.device(tenants.a), make.device(tenants.a)
    site = make.location(tenants.a)
    window = create_window(client, tenants.headers_a, tenants.a, duration=10, devices=[str(first.id)])
    changed = client.patch(f"{URL}{window['id']}/", json={"locations": [str(site.id)]},
                           headers=tenants.headers_a).get_json()
    assert changed["devices"] == [str(first.id)] and changed["locations"] == [str(site.id)]
    changed = client.patch(f"{URL}{window['id']}/", json={"devices": [str(second.id)], "name": "new"},
                           headers=tenants.headers_a).get_json()
    assert changed["devices"] == [str(second.id)] and changed["name"] == "new"
    refused = client.patch(f"{URL}{window['id']}/", json={"devices": [], "locations": []},
                           headers=tenants.headers_a)
    assert refused.status_code == 400
    assert client.get(f"{URL}{window['id']}/", headers=tenants.headers_a).get_json()["devices"] == [str(second.id)]


def test_the_device_list_shows_and_filters_devices_in_maintenance(client, tenants, make):
    covered, free = make.device(tenants.a, name="covered"), make.device(tenants.a, name="free")
    create_window(client, tenants.headers_a, tenants.a, duration=10, devices=[str(covered.id)])
    listed = client.get("/api/v1/monitoring/device/", headers=tenants.headers_a).get_json()["results"]
    assert {d["name"]: d["monitoring"]["in_maintenance"] for d in listed} == {"covered": True, "free": False}
    only = client.get("/api/v1/monitoring/device/?maintenance=true", headers=tenants.headers_a).get_json()
    assert [d["name"] for d in only["results"]] == ["covered"]
    others = client.get("/api/v1/monitoring/device/?maintenance=false", headers=tenants.headers_a).get_json()
    assert [d["name"] for d in others["results"]] == [free.name]


# Sundays 02:00 in Rome for two hours. 2026-03-22: an ordinary Sunday (CET, UTC+1).
# 2026-03-29: the clocks jump from 02:00 to 03:00 (01:00 UTC); 02:00 never happens, so the
# window starts at the jump and lasts its two hours. 2026-10-25: 02:00–03:00 happens twice
# (the clocks go back at 01:00 UTC); the window starts at the second 02:00 (CET), lasts two
# hours and so ends at 04:00 local time as on any other Sunday.
DST_CASES = [
    ("2026-03-22T00:59:59", False), ("2026-03-22T01:00:00", True), ("2026-03-22T02:59:59", True),
    ("2026-03-22T03:00:00", False), ("2026-03-23T01:30:00", False),  # a Monday
    ("2026-03-29T00:59:59", False), ("2026-03-29T01:00:00", True), ("2026-03-29T02:59:59", True),
    ("2026-03-29T03:00:00", False),
    ("2026-10-25T00:30:00", False), ("2026-10-25T01:00:00", True), ("2026-10-25T02:59:59", True),
    ("2026-10-25T03:00:00", False),
]


def test_weekly_windows_follow_the_clocks_of_their_time_zone(client, tenants, make):
    device = make.device(tenants.a)
    create_window(client, tenants.headers_a, tenants.a, start="2026-01-01T00:00:00Z", timezone="Europe/Rome",
                  recurrence={"days": ["sun"], "time": "02:00", "duration": 120}, devices=[str(device.id)])
    assert {moment: in_maintenance(device, at(moment)) for moment, _ in DST_CASES} == dict(DST_CASES)


def test_an_occurrence_runs_past_midnight_and_stops_at_the_windows_end(client, tenants, make):
    device = make.device(tenants.a)
    create_window(client, tenants.headers_a, tenants.a, start="2026-06-01T00:00:00Z", end="2026-06-14T00:00:00Z",
                  recurrence={"days": ["sat"], "time": "23:00", "duration": 180}, devices=[str(device.id)])
    assert in_maintenance(device, at("2026-06-06T23:30:00"))
    assert in_maintenance(device, at("2026-06-07T01:59:59"))  # Sunday, still Saturday's occurrence
    assert not in_maintenance(device, at("2026-06-07T02:00:00"))
    assert in_maintenance(device, at("2026-06-13T23:30:00"))
    assert not in_maintenance(device, at("2026-06-14T00:30:00"))  # past the window's end
    assert not in_maintenance(device, at("2026-05-30T23:30:00"))  # before its start


def test_groups_cover_their_devices_and_windows_go_with_their_organization(client, tenants, make):
    group = client.post("/api/v1/controller/group/", json={"organization": str(tenants.a.id), "name": "g"},
                        headers=tenants.headers_a).get_json()
    grouped = make.device(tenants.a, group_id=group["id"])
    other = make.device(tenants.a)
    create_window(client, tenants.headers_a, tenants.a, duration=10, groups=[group["id"]])
    assert in_maintenance(grouped, utcnow()) and not in_maintenance(other, utcnow())
