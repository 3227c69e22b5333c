"""GET /api/v1/monitoring/dashboard/: the general charts, the tenancy matrix of
organization slugs, locations and floorplans, the traffic interfaces setting, CSV."""
from __future__ import annotations

import uuid

import pytest

from monitoring.extensions import db
from monitoring.models import FloorPlan
from tests.charts.support import add_points, clients, traffic

URL = "/api/v1/monitoring/dashboard/"
HOUR = {"start": "2024-05-01 00:00:00", "end": "2024-05-01 00:59:59"}
NO_PERMISSION = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}


def get(client, headers, **params):
    return client.get(URL, query_string={**HOUR, **params}, headers=headers)


@pytest.fixture
def network(make):
    """Two organizations; the first has two locations (one with a floorplan) and three
    devices, the second one device. Every device sends clients and traffic on wan/eth0."""
    alpha, beta = make.org(name="Alpha"), make.org(name="Beta")
    lobby, annex = make.location(alpha, type="indoor"), make.location(alpha)
    floor = FloorPlan(organization_id=alpha.id, location_id=lobby.id, floor=1)
    db.session.add(floor)
    db.session.commit()
    in_lobby, in_annex, nowhere, other = make.device(alpha), make.device(alpha), make.device(alpha), make.device(beta)
    places = {in_lobby: {"location_id": lobby.id, "floorplan_id": floor.id},
              in_annex: {"location_id": annex.id, "floorplan_id": None},
              nowhere: {"location_id": None, "floorplan_id": None},
              other: {"location_id": None, "floorplan_id": None}}
    macs = {in_lobby: ["aa:00:00:00:00:01", "aa:00:00:00:00:02"], in_annex: ["aa:00:00:00:00:02"],
            nowhere: ["aa:00:00:00:00:03"], other: ["aa:00:00:00:00:01", "bb:00:00:00:00:09"]}
    gigabytes = {in_lobby: 1, in_annex: 2, nowhere: 4, other: 8}
    for device, place in places.items():
        tags = {"organization_id": device.organization_id, **place}
        add_points("wifi_client_points", clients(device, "2024-05-01 00:01:00", "wlan0", macs[device], **tags))
        add_points("traffic_points", [
            traffic(device, "2024-05-01 00:01:00", "wan", gigabytes[device] * 10**9, 0, **tags),
            traffic(device, "2024-05-01 00:01:00", "eth0", 100 * 10**9, 0, **tags),
            traffic(device, "2024-05-01 00:01:00", "eth0_2", 16 * 10**9, 10**9, **tags),
        ])
    return {"alpha": alpha, "beta": beta, "lobby": lobby, "annex": annex, "floor": floor}


def summary(response) -> tuple:
    """(unique clients, download GB) of the window."""
    assert response.status_code == 200, response.get_json()
    charts = {chart["title"]: chart for chart in response.get_json()["charts"]}
    return (charts["General WiFi Clients"]["summary"]["wifi_clients"],
            charts["General Traffic"]["summary"]["download"])


@pytest.fixture
def superuser_headers(make):
    return make.headers(make.user(superuser=True))


# --- access --------------------------------------------------------------------------------

def test_anonymous_is_401(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_parameters_are_checked_before_tenancy(client, make, network):
    nobody = make.headers(make.user(member_of=[network["alpha"]]))
    response = client.get(URL, query_string={"time": "3w"}, headers=nobody)
    assert response.status_code == 400
    assert response.get_json() == ["Time range not supported (expected Nd, 1 ≤ N ≤ 365)"]
    response = client.get(URL, query_string={"timezone": "nowhere", "organization_slug": "nope"}, headers=nobody)
    assert response.get_json() == ["Unkown Time Zone"]


def test_a_user_who_manages_nothing_is_403(client, make, network):
    for user in (make.user(), make.user(member_of=[network["alpha"]]),
                 make.user(manages=[make.org(is_active=False)])):
        response = get(client, make.headers(user))
        assert response.status_code == 403
        assert response.get_json() == NO_PERMISSION


# --- what each user sees -----------------------------------------------------------------

def test_superuser_sees_the_whole_network(client, superuser_headers, network):
    response = get(client, superuser_headers)
    body = response.get_json()
    assert summary(response) == (4, 15.0 + 16.0 * 4)  # wan + eth0.2 (eth0_2) of every device
    assert body["x"][0] == "2024-05-01 00:00" and len(body["x"]) == 6
    assert body["organizations"] == [{"id": network["alpha"].slug, "text": "Alpha"},
                                     {"id": network["beta"].slug, "text": "Beta"}]
    clients_chart, traffic_chart = body["charts"]
    assert clients_chart["traces"] == [["wifi_clients", [4, 0, 0, 0, 0, 0]]]
    assert traffic_chart["traces"] == [["download", [79.0, None, None, None, None, None]],
                                       ["upload", [4.0, None, None, None, None, None]]]
    assert traffic_chart["fill"] == "none" and traffic_chart["calculate_total"] is True


def test_a_manager_sees_the_managed_organizations(client, make, network):
    headers = make.headers(make.user(manages=[network["alpha"]]))
    response = get(client, headers)
    assert summary(response) == (3, 7.0 + 16.0 * 3)
    assert "organizations" not in response.get_json()  # nothing to choose from
    both = make.headers(make.user(manages=[network["alpha"], network["beta"]]))
    response = get(client, both)
    assert summary(response) == (4, 79.0)
    assert [item["text"] for item in response.get_json()["organizations"]] == ["Alpha", "Beta"]


def test_organization_slugs(client, make, superuser_headers, network):
    alpha, beta = network["alpha"], network["beta"]
    assert summary(get(client, superuser_headers, organization_slug=beta.slug)) == (2, 24.0)
    assert summary(get(client, superuser_headers, organization_slug=f"{alpha.slug},{beta.slug}")) == (4, 79.0)
    manager = make.headers(make.user(manages=[alpha]))
    assert summary(get(client, manager, organization_slug=alpha.slug)) == (3, 55.0)
    for slugs in (beta.slug, f"{alpha.slug},{beta.slug}"):
        response = get(client, manager, organization_slug=slugs)
        assert response.status_code == 403
        assert response.get_json() == NO_PERMISSION
    for headers in (manager, superuser_headers):
        response = get(client, headers, organization_slug=f"{alpha.slug},no-such-org")
        assert response.status_code == 404
        assert response.get_json() == NOT_FOUND


def test_a_disabled_organization_by_slug(client, make, superuser_headers, network):
    disabled = make.org(is_active=False)
    assert get(client, superuser_headers, organization_slug=disabled.slug).status_code == 200
    manager = make.headers(make.user(manages=[network["alpha"], disabled]))
    assert get(client, manager, organization_slug=disabled.slug).status_code == 403


def test_locations(client, make, superuser_headers, network):
    alpha, lobby, annex = network["alpha"], network["lobby"], network["annex"]
    manager = make.headers(make.user(manages=[alpha]))
    assert summary(get(client, manager, location_id=str(lobby.id))) == (2, 17.0)
    assert summary(get(client, manager, location_id=f"{lobby.id},{annex.id}")) == (2, 17.0 + 18.0)
    foreign = make.location(network["beta"])
    for location_id in (str(foreign.id), str(uuid.uuid4()), "not-a-uuid", f"{lobby.id},{lobby.id}"):
        response = get(client, manager, location_id=location_id)
        assert response.status_code == 404, location_id
        assert response.get_json() == NOT_FOUND
    # a superuser may name any existing location, whatever the organizations selected
    assert get(client, superuser_headers, location_id=str(foreign.id)).status_code == 200
    assert get(client, superuser_headers, location_id=str(foreign.id),
               organization_slug=alpha.slug).status_code == 200
    assert get(client, superuser_headers, location_id=str(uuid.uuid4())).status_code == 404
    # a manager's location must be in the organizations selected by slug
    both = make.headers(make.user(manages=[alpha, network["beta"]]))
    assert get(client, both, location_id=str(foreign.id)).status_code == 200
    assert get(client, both, location_id=str(foreign.id), organization_slug=alpha.slug).status_code == 404


def test_floorplans(client, make, superuser_headers, network):
    alpha, lobby, annex, floor = network["alpha"], network["lobby"], network["annex"], network["floor"]
    manager = make.headers(make.user(manages=[alpha]))
    assert summary(get(client, manager, floorplan_id=str(floor.id))) == (2, 17.0)
    assert summary(get(client, manager, floorplan_id=str(floor.id), location_id=str(lobby.id))) == (2, 17.0)
    # a floorplan outside the given locations
    response = get(client, manager, floorplan_id=str(floor.id), location_id=str(annex.id))
    assert response.status_code == 404
    beta_location = make.location(network["beta"], type="indoor")
    foreign = FloorPlan(organization_id=network["beta"].id, location_id=beta_location.id, floor=2)
    db.session.add(foreign)
    db.session.commit()
    for floorplan_id in (str(foreign.id), str(uuid.uuid4()), "x"):
        assert get(client, manager, floorplan_id=floorplan_id).status_code == 404
    assert get(client, superuser_headers, floorplan_id=str(foreign.id)).status_code == 200
    assert get(client, superuser_headers, floorplan_id=str(uuid.uuid4())).status_code == 404


def test_empty_filters_are_absent(client, superuser_headers, network):
    assert summary(get(client, superuser_headers, organization_slug="", location_id="", floorplan_id="")) == \
        (4, 79.0)


# --- the traffic interfaces setting -----------------------------------------------------

def test_traffic_interfaces_per_organization(client, app, make, superuser_headers, network, monkeypatch):
    alpha, beta = network["alpha"], network["beta"]
    monkeypatch.setitem(app.config, "DASHBOARD_TRAFFIC_CHART",
                        {"__all__": ["wan"], str(alpha.id): ["eth0"], str(beta.id): []})
    # one organization with a list of its own: its list
    assert summary(get(client, superuser_headers, organization_slug=alpha.slug)) == (3, 300.0)
    manager = make.headers(make.user(manages=[alpha]))
    assert summary(get(client, manager)) == (3, 300.0)
    # an empty list of its own: the general one
    assert summary(get(client, superuser_headers, organization_slug=beta.slug)) == (2, 8.0)
    # several organizations, or none selected: the general list
    assert summary(get(client, superuser_headers, organization_slug=f"{alpha.slug},{beta.slug}")) == (4, 15.0)
    assert summary(get(client, superuser_headers)) == (4, 15.0)


def test_no_traffic_on_the_listed_interfaces_leaves_the_chart_out(client, app, superuser_headers, network,
                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "DASHBOARD_TRAFFIC_CHART", {"__all__": ["lan9"]})
    titles = [chart["title"] for chart in get(client, superuser_headers).get_json()["charts"]]
    assert titles == ["General WiFi Clients"]


# --- output -----------------------------------------------------------------------------

def test_csv(client, superuser_headers, network):
    response = get(client, superuser_headers, csv="true")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=data.csv"
    lines = response.get_data(as_text=True).split("\r\n")
    assert lines[0] == "time,wifi_clients - General WiFi Clients,download - General Traffic,upload - General Traffic"
    assert lines[1] == "2024-05-01 00:00,4,79.0,4.0"
    assert lines[2] == "2024-05-01 00:10,0,,"
    assert len(lines) == 8 and lines[-1] == ""


def test_no_data(client, superuser_headers):
    body = client.get(URL, headers=superuser_headers).get_json()
    no_devices = {"unknown": 0, "ok": 0, "problem": 0, "critical": 0, "deactivated": 0}
    assert body == {"charts": [], "devices": {"by_status": no_devices, "by_problem": {}}}


def test_default_window_is_seven_days(client, superuser_headers, network):
    body = client.get(URL, query_string={"timezone": "Asia/Kolkata"}, headers=superuser_headers).get_json()
    assert body["charts"] == []  # the points are from 2024
    body = client.get(URL, query_string={"time": "365d", "timezone": "Asia/Kolkata"},
                      headers=superuser_headers).get_json()
    assert body["charts"] == []


def test_a_start_without_end_reads_the_time_window_and_says_so(client, superuser_headers, network):
    response = client.get(URL, query_string={"time": "1d", "start": HOUR["start"]}, headers=superuser_headers)
    assert response.status_code == 200
    assert response.get_json() == client.get(URL, query_string={"time": "1d"}, headers=superuser_headers).get_json()
    assert response.headers["Warning"] == '299 - "`start` without `end` is ignored: the `time` window applies"'
    assert "Warning" not in get(client, superuser_headers).headers
