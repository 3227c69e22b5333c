"""Why a device is in problem: its unhealthy metrics with since when, the reading that
crossed the threshold and the threshold, in the device list and detail; the list's
``?problem=`` filter; the dashboard's counts by status and by problem."""
from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import Metric
from tests.ingest.test_device_samples import RESOURCES, post, sample

URL = "/api/v1/monitoring/device/"
DISK_SIZE = 29996  # bytes, as RESOURCES says


def send(client, device, *, disk_bytes: int = 18792, cpu_load: float = 0.5, minutes_ago: int = 0):
    resources = copy.deepcopy(RESOURCES)
    resources["disk"][0]["used_bytes"] = disk_bytes
    resources["load"] = [cpu_load, cpu_load, cpu_load]
    time = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%d-%m-%Y_%H:%M:%S.%f")
    assert post(client, device, sample(resources=resources), time=time).status_code == 200
    return time


def listed(client, headers, query="") -> dict:
    response = client.get(URL + query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return {item["name"]: item["monitoring"] for item in response.get_json()["results"]}


def disk_metric(device) -> Metric:
    db.session.expire_all()
    return db.session.scalars(select(Metric).where(Metric.device_id == device.id, Metric.key == "disk")).one()


def test_a_device_in_problem_says_which_metric_since_when_and_why(client, make, org, admin_headers):
    device = make.device(org, name="full")
    make.device(org, name="fine")
    sent = send(client, device, disk_bytes=29000, minutes_ago=2)
    send(client, device, disk_bytes=29900, minutes_ago=1)  # still over: since and value stay the first
    since = datetime.strptime(sent, "%d-%m-%Y_%H:%M:%S.%f").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    expected = [{"key": "disk", "name": "Disk usage", "since": since, "value": disk_metric(device).unhealthy_value,
                 "operator": ">", "threshold": 90.0}]
    assert 96 < expected[0]["value"] < 97  # 29000 of 29996 bytes
    monitoring = listed(client, admin_headers)
    assert monitoring["full"]["status"] == "problem" and monitoring["full"]["problems"] == expected
    assert monitoring["fine"]["problems"] == []
    detail = client.get(f"{URL}{device.id}/", headers=admin_headers).get_json()
    assert detail["monitoring"]["problems"] == expected
    send(client, device)  # recovered
    assert listed(client, admin_headers)["full"]["problems"] == []
    metric = disk_metric(device)
    assert (metric.unhealthy_since, metric.unhealthy_value) == (None, None)


def test_the_threshold_shown_is_the_one_in_force(client, make, org, admin_headers):
    device = make.device(org, name="custom")
    send(client, device, disk_bytes=18792)
    metric = disk_metric(device)
    url = f"{URL}{device.id}/metric/{metric.id}/alert-settings/"
    assert client.patch(url, json={"threshold": 50}, headers=admin_headers).status_code == 200
    send(client, device, disk_bytes=18792)  # 63 %: over 50
    [problem] = listed(client, admin_headers)["custom"]["problems"]
    assert (problem["operator"], problem["threshold"]) == (">", 50.0)


def test_the_list_filters_on_problems(client, make, org, admin_headers):
    disk_full, both, fine = (make.device(org, name=name) for name in ("disk-full", "both", "fine"))
    send(client, disk_full, disk_bytes=29000)
    send(client, both, disk_bytes=29000)
    send(client, fine)
    assert set(listed(client, admin_headers, "?problem=disk")) == {"disk-full", "both"}
    assert set(listed(client, admin_headers, "?problem=cpu")) == set()
    assert set(listed(client, admin_headers, "?problem=cpu&problem=disk")) == {"disk-full", "both"}
    refused = client.get(URL + "?problem=nonsense", headers=admin_headers)
    assert refused.status_code == 400 and "problem" in refused.get_json()


def test_a_deactivated_device_shows_no_problems(client, make, org, admin_headers):
    device = make.device(org, name="off")
    send(client, device, disk_bytes=29000)
    assert client.post(f"/api/v1/controller/device/{device.id}/deactivate/", headers=admin_headers).status_code == 200
    monitoring = listed(client, admin_headers)["off"]
    assert monitoring["status"] == "deactivated" and monitoring["problems"] == []
    assert listed(client, admin_headers, "?problem=disk") == {}


def test_the_dashboard_counts_devices_by_status_and_problem(client, make, admin_headers):
    org, other = make.org(), make.org()
    manager = make.headers(make.user(manages=[org]))
    for name, disk_bytes in (("a", 29000), ("b", 29000), ("c", 18792)):
        send(client, make.device(org, name=name), disk_bytes=disk_bytes)
    make.device(org, name="new")  # unknown
    send(client, make.device(other), disk_bytes=29000)  # another organization's
    body = client.get("/api/v1/monitoring/dashboard/", headers=manager).get_json()
    assert body["devices"] == {"by_status": {"unknown": 1, "ok": 1, "problem": 2, "critical": 0, "deactivated": 0},
                               "by_problem": {"disk": 2}}
    everything = client.get("/api/v1/monitoring/dashboard/", headers=admin_headers).get_json()
    assert everything["devices"]["by_problem"] == {"disk": 3}
