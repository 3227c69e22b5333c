"""WiFi sessions: recorded from device POSTs (docs/api.md §9.1), listed and read (§9.2, §9.3),
pruned by ``flask prune-wifi-sessions``."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from monitoring.extensions import db
from monitoring.models import WifiClient, WifiSession
from tests.conftest import Tenants
from tests.geo.support import INVALID_CHOICE, NOT_AUTHENTICATED, NOT_MANAGER, access_point, send_sample, wifi_client
from tests.inventory.support import make_group

SESSIONS = "/api/v1/monitoring/wifi-session/"
T0 = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)


def listed(client, headers, query: str = "") -> dict:
    response = client.get(SESSIONS + query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def clients_of(body) -> list[tuple[str, str]]:
    return [(item["client"]["mac_address"], item["stop_time"] is None) for item in body["results"]]


def stored_sessions(device=None) -> list[WifiSession]:
    db.session.expire_all()
    statement = select(WifiSession).order_by(WifiSession.start_time, WifiSession.wifi_client_id)
    if device is not None:
        statement = statement.where(WifiSession.device_id == device.id)
    return list(db.session.execute(statement).scalars())


def set_times(session: WifiSession, start: datetime, stop: datetime | None) -> None:
    db.session.execute(update(WifiSession).where(WifiSession.id == session.id).values(start_time=start, stop_time=stop))
    db.session.commit()


@pytest.fixture
def tenants(make):
    return Tenants.create(make, name_a="test org")


# --- recorded from samples ---------------------------------------------------------------------

def test_the_specs_fixture_sample_opens_three_sessions(client, tenants, make):
    device = make.device(tenants.a, name="ap-lobby")
    send_sample(
        client, device,
        access_point("wlan0", [wifi_client("00:ee:ad:34:f5:3b")], htmode="HT20"),
        access_point("wlan1", [wifi_client("b0:e1:7e:30:16:44"), wifi_client("c0:ee:fb:34:f5:4b")], htmode="VHT80"),
    )
    body = listed(client, tenants.headers_a)
    assert body["count"] == 3
    by_mac = {item["client"]["mac_address"]: item for item in body["results"]}
    session = stored_sessions(device)[0]
    assert by_mac["00:ee:ad:34:f5:3b"] == {
        "id": str(by_mac["00:ee:ad:34:f5:3b"]["id"]),
        "organization": "test org",
        "device": "ap-lobby",
        "ssid": "testnet",
        "interface_name": "wlan0",
        "client": {"mac_address": "00:ee:ad:34:f5:3b", "vendor": None, "wifi6": None, "wifi5": None,
                   "wifi4": "True", "wmm": True, "wds": False, "wps": False},
        "start_time": session.start_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "stop_time": None,
        "modified": session.modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    assert by_mac["b0:e1:7e:30:16:44"]["client"]["wifi5"] == "False"
    assert by_mac["b0:e1:7e:30:16:44"]["interface_name"] == "wlan1"
    detail = client.get(f"{SESSIONS}{by_mac['00:ee:ad:34:f5:3b']['id']}/", headers=tenants.headers_a)
    assert detail.status_code == 200 and detail.get_json() == by_mac["00:ee:ad:34:f5:3b"]


def test_sessions_open_close_and_a_new_one_on_return(client, tenants, make):
    device = make.device(tenants.a)
    a, b = wifi_client("aa:00:00:00:00:0a"), wifi_client("aa:00:00:00:00:0b")
    send_sample(client, device, access_point("wlan0", [a, b]))
    assert sorted(clients_of(listed(client, tenants.headers_a))) == [
        ("aa:00:00:00:00:0a", True), ("aa:00:00:00:00:0b", True)]

    send_sample(client, device, access_point("wlan0", [a]))  # b left
    assert sorted(clients_of(listed(client, tenants.headers_a))) == [
        ("aa:00:00:00:00:0a", True), ("aa:00:00:00:00:0b", False)]

    send_sample(client, device, access_point("wlan0", [a, b]))  # b is back: a new session
    body = listed(client, tenants.headers_a)
    assert body["count"] == 3
    assert sorted(clients_of(body)) == [
        ("aa:00:00:00:00:0a", True), ("aa:00:00:00:00:0b", False), ("aa:00:00:00:00:0b", True)]
    # Newest first: b's second session opened last.
    assert clients_of(body)[0] == ("aa:00:00:00:00:0b", True)

    send_sample(client, device)  # no interfaces: everything closes
    assert all(not still_open for _, still_open in clients_of(listed(client, tenants.headers_a)))


def test_only_access_point_interfaces_count(client, tenants, make):
    device = make.device(tenants.a)
    send_sample(client, device, access_point("wlan0", [wifi_client("aa:00:00:00:00:01")], mode="station"),
                access_point("mesh0", [wifi_client("aa:00:00:00:00:02")], mode="802.11s"))
    assert listed(client, tenants.headers_a)["count"] == 0


def test_sessions_follow_their_device_to_another_organization(client, tenants, make):
    device = make.device(tenants.a)
    send_sample(client, device, access_point("wlan0", [wifi_client("aa:00:00:00:00:01")]))
    assert listed(client, tenants.headers_a)["count"] == 1
    response = client.patch(f"/api/v1/controller/device/{device.id}/", json={"organization": str(tenants.b.id)},
                            headers=tenants.headers_super)
    assert response.status_code == 200
    assert listed(client, tenants.headers_a)["count"] == 0
    body = listed(client, tenants.headers_b)
    assert body["count"] == 1 and body["results"][0]["organization"] == "B"


def send_sample_at(client, device, at: datetime, *interfaces: dict, current: bool = False) -> None:
    """A sample with the agent's ``time`` (as a device sends what it buffered)."""
    query = f"key={device.key}&time={at.strftime('%d-%m-%Y_%H:%M:%S.000000')}" + ("&current=true" if current else "")
    response = client.post(f"/api/v1/monitoring/device/{device.id}/?{query}",
                           data=json.dumps({"type": "DeviceMonitoring", "interfaces": list(interfaces)}),
                           content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_buffered_samples_give_the_sessions_that_really_happened(client, tenants, make):
    """An agent back after an outage sends its samples oldest first: the sessions open and
    close at the samples' times, not at the moment they arrive."""
    device = make.device(tenants.a)
    a, b = wifi_client("aa:00:00:00:00:0a"), wifi_client("aa:00:00:00:00:0b")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    for step, clients in enumerate([[a, b], [a], [a, b], [a, b], []]):
        send_sample_at(client, device, start + step * timedelta(minutes=5), access_point("wlan0", clients),
                       current=step == 4)
    spans = [(s.wifi_client_id, s.start_time, s.stop_time) for s in stored_sessions(device)]
    minutes = [(mac, (begin - start) // timedelta(minutes=1), (end - start) // timedelta(minutes=1))
               for mac, begin, end in spans]
    assert minutes == [("aa:00:00:00:00:0a", 0, 20), ("aa:00:00:00:00:0b", 0, 5), ("aa:00:00:00:00:0b", 10, 20)]


def test_a_current_sample_older_than_a_session_never_ends_it_before_it_began(client, tenants, make):
    device = make.device(tenants.a)
    now = datetime.now(UTC).replace(microsecond=0)
    seen = access_point("wlan0", [wifi_client("aa:00:00:00:00:01")])
    send_sample_at(client, device, now - timedelta(minutes=10), seen)
    send_sample_at(client, device, now - timedelta(minutes=30), access_point("wlan0", []), current=True)
    (session,) = stored_sessions(device)
    assert session.stop_time == session.start_time == now - timedelta(minutes=10)


def test_client_records_are_per_organization(client, tenants, make):
    """The same MAC seen by two tenants' devices: each tenant sees what its own devices said."""
    mine, theirs = make.device(tenants.a), make.device(tenants.b)
    send_sample(client, mine, access_point("wlan0", [wifi_client("aa:00:00:00:00:01", vendor="Acme", wmm=True)]))
    send_sample(client, theirs, access_point("wlan0", [wifi_client("aa:00:00:00:00:01", vendor="Forged", wmm=False,
                                                                   ht=False)]))
    (seen_by_a,) = listed(client, tenants.headers_a)["results"]
    (seen_by_b,) = listed(client, tenants.headers_b)["results"]
    assert (seen_by_a["client"]["vendor"], seen_by_a["client"]["wmm"], seen_by_a["client"]["wifi4"]) == (
        "Acme", True, "True")
    assert (seen_by_b["client"]["vendor"], seen_by_b["client"]["wmm"]) == ("Forged", False)
    records = db.session.execute(select(WifiClient.organization_id, WifiClient.vendor)
                                 .order_by(WifiClient.vendor)).all()
    assert records == [(tenants.a.id, "Acme"), (tenants.b.id, "Forged")]


def test_a_device_moving_to_another_organization_takes_its_clients_records(client, tenants, make):
    device = make.device(tenants.a)
    send_sample(client, device, access_point("wlan0", [wifi_client("aa:00:00:00:00:01", vendor="Acme")]))
    response = client.patch(f"/api/v1/controller/device/{device.id}/", json={"organization": str(tenants.b.id)},
                            headers=tenants.headers_super)
    assert response.status_code == 200
    (moved,) = listed(client, tenants.headers_b)["results"]
    assert moved["client"]["vendor"] == "Acme"
    send_sample(client, device, access_point("wlan0", [wifi_client("aa:00:00:00:00:01", vendor="Acme 2")]))
    vendors = dict(db.session.execute(select(WifiClient.organization_id, WifiClient.vendor)).all())
    assert vendors == {tenants.a.id: "Acme", tenants.b.id: "Acme 2"}


# --- filters -----------------------------------------------------------------------------------

@pytest.fixture
def history(client, tenants, make):
    """Four sessions with known times: two of device one (group G) and one of device two in
    organization A, one in organization B."""
    group = make_group(tenants.a, "G")
    one = make.device(tenants.a, name="one", group_id=group.id)
    two = make.device(tenants.a, name="two")
    other = make.device(tenants.b, name="other")
    send_sample(client, one, access_point("wlan0", [wifi_client(f"aa:00:00:00:00:0{n}") for n in (1, 2)]))
    send_sample(client, two, access_point("wlan0", [wifi_client("aa:00:00:00:00:03")]))
    send_sample(client, other, access_point("wlan0", [wifi_client("aa:00:00:00:00:04")]))
    times = {
        "aa:00:00:00:00:01": (T0, T0 + timedelta(hours=1)),
        "aa:00:00:00:00:02": (T0 + timedelta(hours=2), None),
        "aa:00:00:00:00:03": (T0 + timedelta(hours=4), T0 + timedelta(hours=5)),
        "aa:00:00:00:00:04": (T0 + timedelta(hours=6), None),
    }
    for session in stored_sessions():
        set_times(session, *times[session.wifi_client_id])

    class History:
        pass

    History.group, History.one, History.two, History.other = group, one, two, other
    return History


def macs(body) -> list[str]:
    return [item["client"]["mac_address"][-2:] for item in body["results"]]


def test_newest_first_and_tenancy(client, tenants, history):
    assert macs(listed(client, tenants.headers_super)) == ["04", "03", "02", "01"]
    assert macs(listed(client, tenants.headers_a)) == ["03", "02", "01"]
    assert macs(listed(client, tenants.headers_b)) == ["04"]


TIME_FILTER_CASES = [
    ("start_time=2024-05-02T10:00:00Z", ["01"]),
    ("start_time=2024-05-02 12:00:00%2B02:00", ["01"]),  # the same instant with an offset
    ("start_time=2024-05-02T10:00:00", ["01"]),  # no offset: UTC
    ("start_time=2024-05-02T10:00:00.000001Z", []),
    ("start_time__gt=2024-05-02T12:00:00Z", ["03"]),
    ("start_time__gte=2024-05-02T12:00:00Z", ["03", "02"]),
    ("start_time__lt=2024-05-02T12:00:00Z", ["01"]),
    ("start_time__lte=2024-05-02T12:00:00Z", ["02", "01"]),
    ("start_time__gte=2024-05-02", ["03", "02", "01"]),  # a bare date is its midnight
    ("stop_time=2024-05-02T11:00:00Z", ["01"]),
    ("stop_time__gt=2024-05-02T11:00:00Z", ["03"]),
    ("stop_time__gte=2024-05-02T11:00:00Z", ["03", "01"]),
    ("stop_time__lt=2024-05-02T15:00:00Z", ["01"]),
    ("stop_time__lte=2024-05-02T15:00:00Z", ["03", "01"]),
    ("stop_time__isnull=true", ["02"]),
    ("stop_time__isnull=1", ["02"]),
    ("stop_time__isnull=False", ["03", "01"]),
    ("stop_time__isnull=off", ["03", "01"]),
    ("stop_time__isnull=", ["03", "02", "01"]),
    ("start_time__gte=2024-05-02T11:00:00Z&stop_time__isnull=false", ["03"]),
    ("start_time=", ["03", "02", "01"]),
]


def test_time_filters(client, tenants, history):
    for query, expected in TIME_FILTER_CASES:
        assert macs(listed(client, tenants.headers_a, "?" + query)) == expected, query


def test_device_organization_and_group_filters(client, tenants, history):
    assert macs(listed(client, tenants.headers_a, f"?device={history.one.id}")) == ["02", "01"]
    assert macs(listed(client, tenants.headers_a, f"?device={history.two.id}")) == ["03"]
    assert macs(listed(client, tenants.headers_a, f"?device__group={history.group.id}")) == ["02", "01"]
    assert macs(listed(client, tenants.headers_a, f"?device__organization={tenants.a.id}")) == ["03", "02", "01"]
    assert macs(listed(client, tenants.headers_super, f"?device__organization={tenants.b.id}")) == ["04"]
    assert macs(listed(client, tenants.headers_super, f"?device={history.other.id}")) == ["04"]


@pytest.mark.parametrize("field", ["device__organization", "device", "device__group"])
def test_object_filters_reject_what_the_caller_may_not_choose(client, tenants, history, make, field):
    other = {"device__organization": tenants.b.id, "device": history.other.id,
             "device__group": make_group(tenants.b, "H").id}[field]
    for value in (other, uuid.uuid4(), "not-a-uuid"):
        response = client.get(SESSIONS, query_string={field: value}, headers=tenants.headers_a)
        assert response.status_code == 400, value
        assert response.get_json() == {field: [INVALID_CHOICE]}


def test_bad_date_time_is_400(client, tenants, history):
    for column in ("start_time", "stop_time"):
        for field in (column, f"{column}__gt", f"{column}__gte", f"{column}__lt", f"{column}__lte"):
            response = client.get(SESSIONS, query_string={field: "yesterday"}, headers=tenants.headers_a)
            assert response.status_code == 400, field
            assert response.get_json() == {field: ["Enter a valid date/time."]}


def test_every_bad_value_is_reported(client, tenants, history):
    response = client.get(SESSIONS, query_string={"start_time": "x", "stop_time__lt": "2024-13-01",
                                                   "device": "nope"}, headers=tenants.headers_a)
    assert response.status_code == 400
    assert response.get_json() == {"start_time": ["Enter a valid date/time."],
                                   "stop_time__lt": ["Enter a valid date/time."], "device": [INVALID_CHOICE]}


def test_pagination(client, tenants, history):
    first = listed(client, tenants.headers_a, "?page_size=2&stop_time__isnull=")
    assert macs(first) == ["03", "02"] and first["count"] == 3 and first["previous"] is None
    assert first["next"] == "http://localhost/api/v1/monitoring/wifi-session/?page_size=2&stop_time__isnull=&page=2"
    second = client.get(first["next"], headers=tenants.headers_a).get_json()
    assert macs(second) == ["01"] and second["next"] is None
    assert second["previous"] == "http://localhost/api/v1/monitoring/wifi-session/?page_size=2&stop_time__isnull="
    beyond = client.get(SESSIONS + "?page=3&page_size=2", headers=tenants.headers_a)
    assert beyond.status_code == 404 and beyond.get_json() == {"detail": "Invalid page."}
    assert client.get(SESSIONS + "?page=x", headers=tenants.headers_a).status_code == 404
    assert len(listed(client, tenants.headers_super, "?page_size=0")["results"]) == 4  # invalid: the default


def test_sessions_of_one_sample_page_without_overlap(client, tenants, make):
    """Sessions opened by one sample share their start time: the id orders them, so pages
    neither repeat nor skip one."""
    device = make.device(tenants.a)
    send_sample(client, device, access_point("wlan0", [wifi_client(f"aa:00:00:00:01:{n:02x}") for n in range(7)]))
    seen = []
    for page in (1, 2, 3):
        seen += [item["id"] for item in listed(client, tenants.headers_a, f"?page_size=3&page={page}")["results"]]
    assert len(seen) == len(set(seen)) == 7


# --- access ---------------------------------------------------------------------------------------

def test_list_access(client, tenants, history, make):
    anonymous = client.get(SESSIONS)
    assert anonymous.status_code == 401 and anonymous.get_json() == {"detail": NOT_AUTHENTICATED}
    member = make.headers(make.user(member_of=[tenants.a]))
    disabled_manager = make.headers(make.user(manages=[make.org(is_active=False)]))
    for headers in (member, disabled_manager):
        response = client.get(SESSIONS, headers=headers)
        assert response.status_code == 403 and response.get_json() == {"detail": NOT_MANAGER}
    # No 400 before the caller is let in.
    assert client.get(SESSIONS + "?start_time=x").status_code == 401


def test_disabled_organization_sessions_are_hidden_from_its_managers(client, tenants, history, make):
    both = make.headers(make.user(manages=[tenants.a, tenants.b]))
    assert macs(listed(client, both)) == ["04", "03", "02", "01"]
    tenants.b.is_active = False
    db.session.commit()
    assert macs(listed(client, both)) == ["03", "02", "01"]


def test_detail_access(client, tenants, history, make):
    session = next(s for s in stored_sessions() if s.wifi_client_id == "aa:00:00:00:00:04")
    url = f"{SESSIONS}{session.id}/"
    assert client.get(url, headers=tenants.headers_b).status_code == 200
    assert client.get(url, headers=tenants.headers_super).get_json()["device"] == "other"
    not_found = {"detail": "No WifiSession matches the given query."}
    for response in (client.get(url, headers=tenants.headers_a),
                     client.get(f"{SESSIONS}{uuid.uuid4()}/", headers=tenants.headers_super)):
        assert response.status_code == 404 and response.get_json() == not_found
    member = make.headers(make.user(member_of=[tenants.b]))
    response = client.get(url, headers=member)
    assert response.status_code == 403 and response.get_json() == {"detail": NOT_MANAGER}
    assert client.get(url).status_code == 401
    assert client.get(f"{SESSIONS}{session.id.hex}/", headers=tenants.headers_b).status_code == 404


# --- pruning ------------------------------------------------------------------------------------

def test_prune_command(app, client, tenants, history):
    now = datetime.now(UTC)
    sessions = {s.wifi_client_id: s for s in stored_sessions()}
    set_times(sessions["aa:00:00:00:00:01"], now - timedelta(days=200), now - timedelta(days=199))
    set_times(sessions["aa:00:00:00:00:02"], now - timedelta(days=181), None)  # old even if still open
    set_times(sessions["aa:00:00:00:00:03"], now - timedelta(days=179), now - timedelta(days=178))
    set_times(sessions["aa:00:00:00:00:04"], now - timedelta(days=10), None)
    # Client 02 was seen again recently (a sample may be about to give it a new session).
    db.session.execute(update(WifiClient).values(modified=now - timedelta(days=200)))
    db.session.execute(update(WifiClient).where(WifiClient.mac_address == "aa:00:00:00:00:02").values(modified=now))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["prune-wifi-sessions"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deleted 2 WiFi sessions older than 180 days and 1 WiFi clients"
    assert sorted(s.wifi_client_id for s in stored_sessions()) == ["aa:00:00:00:00:03", "aa:00:00:00:00:04"]
    remaining_clients = db.session.execute(select(WifiClient.mac_address).order_by(WifiClient.mac_address))
    assert list(remaining_clients.scalars()) == ["aa:00:00:00:00:02", "aa:00:00:00:00:03", "aa:00:00:00:00:04"]

    result = app.test_cli_runner().invoke(args=["prune-wifi-sessions", "--days", "100"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 WiFi sessions older than 100 days" in result.output
    assert [s.wifi_client_id for s in stored_sessions()] == ["aa:00:00:00:00:04"]


def test_prune_days_default_comes_from_config_and_must_not_be_negative(app, tenants, history, monkeypatch):
    monkeypatch.setitem(app.config, "WIFI_SESSIONS_RETENTION_DAYS", 0)
    result = app.test_cli_runner().invoke(args=["prune-wifi-sessions"])
    assert result.exit_code == 0 and "deleted 4 WiFi sessions older than 0 days" in result.output
    assert db.session.execute(select(func.count()).select_from(WifiSession)).scalar_one() == 0
    assert app.test_cli_runner().invoke(args=["prune-wifi-sessions", "--days", "-1"]).exit_code != 0
