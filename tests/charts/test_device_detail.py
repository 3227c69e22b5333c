"""GET /api/v1/monitoring/device/{pk}/: key mode and user mode in the reference's check
order, the response (device, status, metrics, charts, x, data), parameters, CSV."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.extensions import db
from monitoring.models import DeviceMonitoring
from tests.charts.support import add_metric, add_points, log_in, ping, post_sample, sample_document

NOT_MANAGER = {"detail": "User is not a manager of the organization to which the requested resource belongs."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
NO_PERMISSION = {"detail": "You do not have permission to perform this action."}
DAY = {"start": "2024-05-01 00:00:00", "end": "2024-05-01 00:59:59"}


def url(device, **params):
    device_id = params.pop("pk", device.id)
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"/api/v1/monitoring/device/{device_id}/" + (f"?{query}" if query else "")


@pytest.fixture
def manager(make, org):
    return make.user(manages=[org])


@pytest.fixture
def headers(make, manager):
    return make.headers(manager)


# --- key mode ------------------------------------------------------------------------------

def test_the_key_opens_the_device_without_a_user(client, device):
    response = client.get(url(device, key=device.key))
    assert response.status_code == 200
    assert response.get_json()["id"] == str(device.id)


def test_the_32_hex_form_of_the_id_is_accepted(client, device):
    assert client.get(url(device, pk=device.id.hex, key=device.key)).status_code == 200


@pytest.mark.parametrize("key", ["WRONG", "x" * 32])
def test_a_wrong_key_is_403(client, device, key):
    response = client.get(url(device, key=key))
    assert response.status_code == 403
    assert response.get_json() == NO_CREDENTIALS


def test_a_wrong_key_with_a_browser_session_is_403_no_permission(client, make, device):
    log_in(client, make.user(superuser=True))
    response = client.get(url(device, key="WRONG"))
    assert response.status_code == 403
    assert response.get_json() == NO_PERMISSION


def test_another_devices_key_is_403(client, make, org, device):
    other = make.device(org)
    assert client.get(url(device, key=other.key)).status_code == 403


def test_key_mode_404s(client, make, device):
    assert client.get(url(device, pk="00000000-0000-4000-8000-000000000000", key=device.key)).status_code == 404
    disabled = make.org(is_active=False)
    hidden = make.device(disabled)
    response = client.get(url(hidden, key=hidden.key))
    assert response.status_code == 404
    assert response.get_json() == {"detail": "No DeviceData matches the given query."}


def test_a_deactivated_device_is_readable_with_its_key(client, device):
    device.is_deactivated = True
    db.session.get(DeviceMonitoring, device.id).status = "deactivated"
    db.session.commit()
    response = client.get(url(device, key=device.key))
    assert response.status_code == 200
    assert response.get_json()["monitoring"]["status"] == "deactivated"


def test_key_is_checked_before_parameters(client, device):
    assert client.get(url(device, key="WRONG", time="3w")).status_code == 403
    response = client.get(url(device, key=device.key, time="3w"))
    assert response.status_code == 400
    assert response.get_json() == ["Time range not supported (expected Nd, 1 ≤ N ≤ 365)"]


def test_a_bearer_token_is_not_what_key_mode_looks_at(client, make, device):
    headers = make.headers(make.user(superuser=True))
    response = client.get(url(device, key="WRONG"), headers=headers)
    assert response.status_code == 403
    assert response.get_json() == NO_CREDENTIALS


# --- user mode -----------------------------------------------------------------------------

def test_anonymous_is_401(client, device):
    for target in (url(device), url(device, key="")):
        response = client.get(target)
        assert response.status_code == 401
        assert response.get_json() == NO_CREDENTIALS
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_invalid_token_is_401(client, device):
    response = client.get(url(device), headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid token."}


def test_a_user_who_manages_nothing_is_403(client, make, org, device):
    member = make.user(member_of=[org])
    response = client.get(url(device, time="3w"), headers=make.headers(member))
    assert response.status_code == 403
    assert response.get_json() == NOT_MANAGER


def test_a_device_of_another_organization_is_403(client, make, device):
    outsider = make.user(manages=[make.org()])
    response = client.get(url(device, time="3w"), headers=make.headers(outsider))
    assert response.status_code == 403
    assert response.get_json() == NOT_MANAGER


def test_user_mode_404s(client, make, headers, device):
    response = client.get(url(device, pk="00000000-0000-4000-8000-000000000000"), headers=headers)
    assert response.status_code == 404
    disabled = make.org(is_active=False)
    hidden = make.device(disabled)
    superuser = make.headers(make.user(superuser=True))
    assert client.get(url(hidden), headers=superuser).status_code == 404


def test_managers_and_superusers_read(client, make, headers, device):
    assert client.get(url(device), headers=headers).status_code == 200
    assert client.get(url(device), headers=make.headers(make.user(superuser=True))).status_code == 200


def test_a_browser_session_reads(client, manager, device):
    log_in(client, manager)
    assert client.get(url(device)).status_code == 200


def test_other_methods(client, headers, device):
    response = client.put(url(device), headers=headers, json={})
    assert response.status_code == 405


# --- the response --------------------------------------------------------------------------

def test_the_response_of_a_device_that_sent_the_standard_sample(client, headers, device):
    document = sample_document(eth0=(1_000, 2_000), wlan0_clients=["aa:00:00:00:00:01", "aa:00:00:00:00:02"])
    post_sample(client, device, document)
    body = client.get(url(device, time="1d"), headers=headers).get_json()
    assert set(body) == {
        "id", "name", "organization", "group", "mac_address", "key", "last_ip", "management_ip", "model", "os",
        "system", "notes", "config", "monitoring", "created", "modified", "charts", "x",
    }
    assert body["key"] == device.key  # the device's own detail shows its key
    assert body["organization"] == str(device.organization_id)
    assert (body["group"], body["config"], body["last_ip"]) == (None, None, None)
    assert body["created"].endswith("Z")
    assert body["monitoring"] == {
        "status": "ok",
        "in_maintenance": False,
        "problems": [],
        "related_metrics": [
            {"name": "CPU usage", "is_healthy": True},
            {"name": "Disk usage", "is_healthy": True},
            {"name": "Memory usage", "is_healthy": True},
            {"name": "eth0 traffic", "is_healthy": None},
            {"name": "wlan0 wifi clients", "is_healthy": None},
        ],
    }
    assert [chart["title"] for chart in body["charts"]] == [
        "WiFi clients: wlan0", "Traffic: eth0", "Memory Usage", "CPU Load", "Disk Usage"]
    assert len(body["x"]) == 145  # 24 hours of 10 minutes, both ends' buckets included
    assert all(len(values) == 145 for chart in body["charts"] for _, values in chart["traces"])
    clients = body["charts"][0]
    assert clients["traces"][0][1][-1] == 2 and clients["summary"] == {"wifi_clients": 2}
    assert body["charts"][3]["traces"][0][1][-1] == 50.0  # load 0.5 on one CPU
    assert "data" not in body


@pytest.mark.parametrize(("time", "buckets"), [("1d", 145), ("2d", 289), ("3d", 217), ("30d", 31)])
def test_bucket_counts(client, headers, device, time, buckets):
    post_sample(client, device, sample_document())
    body = client.get(url(device, time=time), headers=headers).get_json()
    assert len(body["x"]) == buckets


def test_seven_days_are_today_and_the_six_before(client, headers, device):
    post_sample(client, device, sample_document())
    now = datetime.now(UTC)
    body = client.get(url(device), headers=headers).get_json()
    assert body["x"][0] == (now - timedelta(days=6)).strftime("%Y-%m-%d 00:00")
    assert len(body["x"]) in (6 * 24 + now.hour + 1, 6 * 24 + now.hour + 2)  # the hour may turn meanwhile


def test_no_data_no_charts_and_no_x(client, headers, device):
    body = client.get(url(device), headers=headers).get_json()
    assert body["charts"] == []
    assert "x" not in body
    assert body["monitoring"] == {"status": "unknown", "in_maintenance": False, "problems": [],
                                  "related_metrics": []}


@pytest.mark.parametrize(("value", "included"), [
    ("true", True), ("1", True), ("yes", True), ("ON", True), ("anything", True),
    ("false", False), ("0", False), ("no", False), ("Off", False), ("", False),
])
def test_status_adds_the_latest_data(client, headers, device, value, included):
    post_sample(client, device, sample_document(eth0=(10, 20)))
    body = client.get(url(device, status=value), headers=headers).get_json()
    assert ("data" in body) is included
    if included:
        assert body["data"]["type"] == "DeviceMonitoring"
        assert body["data"]["interfaces"][0]["statistics"] == {"rx_bytes": 10, "tx_bytes": 20}


def test_status_without_any_sample_is_null_data(client, headers, device):
    assert client.get(url(device, status="true"), headers=headers).get_json()["data"] is None


def test_traffic_counter_resets(client, headers, device):
    samples = (("2024-05-01 00:01:00", (2_000_000_000, 0)), ("2024-05-01 00:11:00", (5_000_000_000, 0)),
               ("2024-05-01 00:21:00", (1_000_000_000, 0)), ("2024-05-01 00:31:00", (1_500_000_000, 0)))
    for time, counters in samples:
        post_sample(client, device, sample_document(eth0=counters, resources=False), time=time)
    body = client.get(url(device, **DAY), headers=headers).get_json()
    (traffic,) = body["charts"]
    # first sample: the whole counter; then increments; after the reset (5 GB -> 1 GB) the new value
    assert traffic["traces"] == [["download", [2.0, 3.0, 1.0, 0.5, None, None]],
                                 ["upload", [0.0, 0.0, 0.0, 0.0, None, None]]]
    assert traffic["summary"] == {"download": 6.5, "upload": 0.0}
    assert body["x"] == ["2024-05-01 00:00", "2024-05-01 00:10", "2024-05-01 00:20", "2024-05-01 00:30",
                         "2024-05-01 00:40", "2024-05-01 00:50"]


def test_ping_charts_of_the_active_check(client, headers, device):
    add_metric(device, "ping")
    add_points("ping_points", [
        ping(device, "2024-05-01 00:05:00", 1, loss=0.0, rtt_min=1, rtt_max=2, rtt_avg=1.5),
        ping(device, "2024-05-01 00:15:00", 0, loss=100.0),
    ])
    body = client.get(url(device, **DAY), headers=headers).get_json()
    assert [chart["title"] for chart in body["charts"]] == ["Ping Success Rate", "Packet loss", "Round Trip Time"]
    assert body["charts"][0]["traces"] == [["uptime", [100.0, 0.0, None, None, None, None]]]
    assert body["charts"][0]["summary"] == {"uptime": 50.0}


def test_timezone_shifts_labels(client, headers, device):
    post_sample(client, device, sample_document(resources=True), time="2024-05-01 00:01:00")
    body = client.get(url(device, start="2024-05-01 02:00:00", end="2024-05-01 02:59:59", timezone="Europe/Rome"),
                      headers=headers).get_json()
    assert body["x"][0] == "2024-05-01 02:00"
    assert body["charts"][1]["traces"][0][1][0] == 50.0  # CPU Load, 00:01 UTC = 02:01 in Rome


TOO_LONG = "The date range shouldn't be greater than 365 days"


@pytest.mark.parametrize(("params", "message"), [
    ({"timezone": "Europe/Cazzuoli"}, "Unkown Time Zone"),
    ({"timezone": "Europe/Cazzuoli", "time": "3w"}, "Unkown Time Zone"),
    ({"time": "3w"}, "Time range not supported (expected Nd, 1 ≤ N ≤ 365)"),
    ({"time": "xd"}, "Time range not supported (expected Nd, 1 ≤ N ≤ 365)"),
    ({"time": "400d"}, "Time range not supported (expected Nd, 1 ≤ N ≤ 365)"),
    ({"start": "2024-05-01", "end": "2024-05-02 00:00:00"},
     "Incorrect custom date format, should be YYYY-MM-DD H:M:S (e.g. 2024-05-02 10:15:00 in the requested timezone; "
     "not ISO 8601)"),
    ({"start": "2022-01-01 00:00:00", "end": "2024-01-01 00:00:00"}, TOO_LONG),
    ({"start": "2024-05-02 00:00:00", "end": "2024-05-01 00:00:00"}, "start_date cannot be greater than end_date"),
    ({"start": "2999-01-01 00:00:00", "end": "2999-01-02 00:00:00"}, "start_date cannot be greater than today's date"),
    ({"start": "2024-01-01 00:00:00", "end": "2999-01-02 00:00:00"}, TOO_LONG),
])
def test_parameter_errors(client, headers, device, params, message):
    response = client.get(url(device, **params), headers=headers)
    assert response.status_code == 400
    assert response.get_json() == [message]


def test_one_end_alone_is_ignored_and_the_documentation_says_so(client, headers, device):
    """A `start` without `end` (or the reverse) reads the `time` window, as the reference
    does: not an error, so the parameters' help says it."""
    post_sample(client, device, sample_document())
    week = client.get(url(device, time="7d"), headers=headers).get_json()
    assert len(week["x"]) > 1 and week["charts"]
    assert "Warning" not in client.get(url(device, time="7d"), headers=headers).headers
    for one_end in ({"start": "2024-05-01 00:00:00"}, {"end": "2024-05-01 00:00:00"}):
        response = client.get(url(device, time="7d", **one_end), headers=headers)
        assert response.get_json() == week
        # ... and the answer says so, in a header that changes nothing for programs.
        (name,) = one_end
        assert response.headers["Warning"] == (
            f'299 - "`{name}` without `{"end" if name == "start" else "start"}` is ignored: '
            'the `time` window applies"')
        as_csv = client.get(url(device, time="7d", csv="true", **one_end), headers=headers)
        assert as_csv.headers["Warning"] == response.headers["Warning"]
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/monitoring/device/{pk}/", "/api/v1/monitoring/dashboard/"):
        help_of = {p["name"]: p["description"] for p in spec["paths"][path]["get"]["parameters"] if "name" in p}
        assert "either alone is ignored and `time` applies" in help_of["start"]
        assert help_of["end"].endswith("only with `start`")


def test_end_in_the_future(client, headers, device):
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    params = {"start": (tomorrow - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S"),
              "end": tomorrow.strftime("%Y-%m-%d %H:%M:%S")}
    response = client.get(url(device, **params), headers=headers)
    assert response.status_code == 400
    assert response.get_json() == ["end_date cannot be greater than today's date"]


def test_csv(client, headers, device):
    document = sample_document(eth0=(400_000_000, 2_000_000_000), wlan0_clients=["aa:00:00:00:00:01"])
    post_sample(client, device, document, time="2024-05-01 00:21:00")
    response = client.get(url(device, csv="1", status="true", **DAY), headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=data.csv"
    assert response.get_data(as_text=True) == (
        "time,wifi_clients - WiFi clients: wlan0,download - Traffic: eth0,upload - Traffic: eth0,"
        "memory_usage - Memory Usage,CPU_load - CPU Load,disk_usage - Disk Usage\r\n"
        "2024-05-01 00:00,0,,,,,\r\n"
        "2024-05-01 00:10,0,,,,,\r\n"
        "2024-05-01 00:20,1,0.4,2.0,30.0,50.0,25.0\r\n"
        "2024-05-01 00:30,0,,,,,\r\n"
        "2024-05-01 00:40,0,,,,,\r\n"
        "2024-05-01 00:50,0,,,,,\r\n"
    )
    assert client.get(url(device, csv="0", **DAY), headers=headers).mimetype == "application/json"


def test_csv_with_the_key_and_without_data(client, device):
    response = client.get(url(device, key=device.key, csv="true"))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "time\r\n"
