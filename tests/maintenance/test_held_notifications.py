"""What maintenance windows do to notifications: held back while a device is covered (its
data still stored, its health still judged), one notification when it leaves maintenance
still in a state nobody was told of, none for a problem that began and ended inside."""
from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.models import utcnow
from monitoring.services.maintenance import release
from tests.maintenance.support import (
    URL,
    create_window,
    disk,
    held,
    in_maintenance,
    notification_types,
    webhook_types,
)
from tests.notifications.support import hook


@pytest.fixture
def manager_headers(make, org):
    return make.headers(make.user(manages=[org]))


@pytest.fixture
def hooked(org):
    """A webhook, so that held events can be seen to queue no delivery either."""
    hook(org, "http://127.0.0.1:9/hook")


def test_a_problem_still_there_at_the_end_is_sent_once(client, make, org, manager_headers, hooked):
    make.user(superuser=True)
    device = make.device(org)
    window = create_window(client, manager_headers, org, duration=60, devices=[str(device.id)])
    disk(client, device, full=True)
    assert notification_types(device) == [] and webhook_types(device) == []
    [event] = held(device)
    assert event.type == "disk_problem" and str(event.window_id) == window["id"] and event.released_at is None
    status = client.get(f"/api/v1/monitoring/device/{device.id}/", headers=manager_headers).get_json()
    assert (status["monitoring"]["status"], status["monitoring"]["in_maintenance"]) == ("problem", True)
    history = client.get(f"{URL}{window['id']}/held-notification/", headers=manager_headers).get_json()
    assert [item["type"] for item in history["results"]] == ["disk_problem"]
    assert history["results"][0]["released_at"] is None

    assert str(release.release_ended()) == "0 devices out of maintenance, 0 held notifications sent, 0 dropped"
    after = utcnow() + timedelta(minutes=61)
    summary = release.release_ended(now=after)
    assert (summary.devices, summary.sent, summary.dropped) == (1, 1, 0)
    assert notification_types(device) == ["disk_problem"] and webhook_types(device) == ["disk_problem"]
    assert release.release_ended(now=after + timedelta(minutes=1)).sent == 0  # nothing twice
    [event] = held(device)
    assert event.released_at == after and event.sent is True


def test_a_problem_that_began_and_ended_inside_sends_nothing(client, make, org, manager_headers, hooked):
    make.user(superuser=True)
    device = make.device(org)
    create_window(client, manager_headers, org, duration=60, whole_organization=True)
    disk(client, device, full=True)
    disk(client, device, full=False)
    summary = release.release_ended(now=utcnow() + timedelta(hours=2))
    assert (summary.devices, summary.sent, summary.dropped) == (1, 0, 2)
    assert notification_types(device) == [] and webhook_types(device) == []
    assert [(e.type, e.sent) for e in held(device)] == [("disk_problem", False), ("disk_recovery", False)]


def test_a_recovery_inside_a_window_is_told_after_it(client, make, org, manager_headers):
    make.user(superuser=True)
    device = make.device(org)
    disk(client, device, full=True)  # told before the window
    create_window(client, manager_headers, org, duration=60, devices=[str(device.id)])
    disk(client, device, full=False)
    disk(client, device, full=True)
    disk(client, device, full=False)
    assert notification_types(device) == ["disk_problem"]
    summary = release.release_ended(now=utcnow() + timedelta(hours=2))
    assert (summary.sent, summary.dropped) == (1, 2)
    assert notification_types(device) == ["disk_problem", "disk_recovery"]


def test_devices_outside_the_window_are_told_at_once(client, make, org, manager_headers):
    make.user(superuser=True)
    covered, other = make.device(org), make.device(org)
    create_window(client, manager_headers, org, duration=60, devices=[str(covered.id)])
    disk(client, covered, full=True)
    disk(client, other, full=True)
    assert notification_types(covered) == [] and notification_types(other) == ["disk_problem"]


def test_overlapping_windows_hold_until_the_last_one_ends(client, make, org, manager_headers):
    make.user(superuser=True)
    device = make.device(org)
    short = create_window(client, manager_headers, org, duration=30, devices=[str(device.id)])
    long = create_window(client, manager_headers, org, duration=120, whole_organization=True)
    disk(client, device, full=True)
    assert {str(e.window_id) for e in held(device)} == {short["id"], long["id"]}  # in both histories
    assert release.release_ended(now=utcnow() + timedelta(minutes=45)).devices == 0  # the long one still holds
    assert notification_types(device) == []
    # The long window deleted while open: what it held goes as when it ends.
    assert client.delete(f"{URL}{long['id']}/", headers=manager_headers).status_code == 204
    summary = release.release_ended(now=utcnow() + timedelta(minutes=45))
    assert (summary.devices, summary.sent) == (1, 1)
    assert notification_types(device) == ["disk_problem"]
    assert [e.sent for e in held(device)] == [True, True]  # one event, one row per window


def test_a_window_cut_short_releases_at_once(client, make, org, manager_headers):
    make.user(superuser=True)
    device = make.device(org)
    window = create_window(client, manager_headers, org, duration=120, devices=[str(device.id)])
    disk(client, device, full=True)
    end = utcnow().isoformat()  # the window started when it was created, a moment ago
    response = client.patch(f"{URL}{window['id']}/", json={"end": end}, headers=manager_headers)
    assert response.status_code == 200 and response.get_json()["is_open"] is False
    assert release.release_ended().sent == 1
    assert notification_types(device) == ["disk_problem"]


def test_a_device_moved_out_of_a_covered_location_leaves_maintenance(client, make, org, manager_headers):
    make.user(superuser=True)
    device, site = make.device(org), make.location(org)
    create_window(client, manager_headers, org, duration=120, locations=[str(site.id)])
    put = client.put(f"/api/v1/controller/device/{device.id}/location/", json={"location": str(site.id)},
                     headers=manager_headers)
    assert put.status_code in (200, 201), put.get_json()
    assert in_maintenance(device, utcnow())
    disk(client, device, full=True)
    assert notification_types(device) == []
    assert client.delete(f"/api/v1/controller/device/{device.id}/location/", headers=manager_headers).status_code == 204
    assert not in_maintenance(device, utcnow())
    assert release.release_ended().sent == 1
    assert notification_types(device) == ["disk_problem"]


def test_checks_and_data_go_on_in_maintenance(client, make, org, manager_headers):
    device = make.device(org)
    create_window(client, manager_headers, org, duration=60, devices=[str(device.id)])
    disk(client, device, full=True)
    metrics = client.get(f"/api/v1/monitoring/device/{device.id}/metric/", headers=manager_headers).get_json()
    assert {m["name"]: m["is_healthy"] for m in metrics}["Disk usage"] is False
