"""The pages for people, in a real headless Chromium (Debian's chromium and chromium-driver,
installed by ``make test``), over a demo network served by gunicorn: every page is loaded as
the demo manager, and what it draws is compared with what the API answers to a program for
the same URL. Every page loads nothing from any other host and logs no console error.
Screenshots go to ``test-artefacts/pages/`` (git-ignored); the load times measured go to
``test-artefacts/pages/timings.json``."""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as when
from sqlalchemy import select, text

from monitoring.browsable.views import NAVIGATION, STATUS_COLORS
from monitoring.extensions import db
from monitoring.models import Device, Notification, User
from monitoring.services.notifications import texts as notification_texts
from tests.ops.conftest import ROOT, launch_gunicorn
from tests.ops.test_browser import CHROMEDRIVER, CHROMIUM, click_to_leave, wait

pytestmark = pytest.mark.e2e

ARTEFACTS = ROOT / "test-artefacts" / "pages"
# Demo access points 0-5, one per site: 2 has a full disk (problem), 4 is in the head office
# (indoor, on a floorplan); 0 is made critical here.
DEVICES = 6
CRITICAL, FULL_DISK = "demo-ap-00", "demo-ap-02"
# A page must be drawn and usable within this time of its navigation (the README's figure).
INTERACTIVE_WITHIN_MS = 1000


@dataclass
class Demo:
    base: str
    headers: dict
    devices: dict  # name -> id

    def get(self, path: str, **params) -> dict:
        response = requests.get(f"{self.base}{path}", params=params, headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    server = launch_gunicorn(database_url, tmp_path_factory.mktemp("pages-site"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(site):
    """Quits before the server stops (it depends on ``site``)."""
    with chromium() as driver:
        yield driver


@contextmanager
def chromium():
    """Headless Chromium keeping its console log."""
    profile = tempfile.mkdtemp(prefix="monitoring-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def seed_demo(app, base: str) -> tuple[Demo, tuple[str, str]]:
    """The demo network (two days), one round of checks (ping charts, from real pings of
    the loopback addresses), and one device made critical."""
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["seed-demo", "--devices", str(DEVICES), "--days", "2"])
    assert seeded.exit_code == 0, seeded.output
    username, password = re.search(r"manager login: (\S+) / (\S+)", seeded.output).groups()
    checked = runner.invoke(args=["worker", "--once", "--job", "checks"])
    assert checked.exit_code == 0 and "ran checks" in checked.output, checked.output
    with app.app_context():
        devices = {name: str(id_) for name, id_ in db.session.execute(select(Device.name, Device.id))}
        # As the health rules would on ping failing: the status, and the manager's notification.
        db.session.execute(text("UPDATE device_monitoring SET status = 'critical' WHERE device_id = :id"),
                           {"id": devices[CRITICAL]})
        manager = db.session.scalar(select(User).where(User.username == username))
        device = db.session.get(Device, uuid.UUID(devices[CRITICAL]))
        db.session.add(Notification(recipient_id=manager.id, organization_id=device.organization_id,
                                    device_id=device.id, **notification_texts.for_change(
                                        configuration="ping", kind="problem", device_id=device.id,
                                        device_name=device.name, threshold=None)))
        db.session.commit()
    token = requests.post(f"{base}/api/v1/users/token/", json={"username": username, "password": password},
                          timeout=10).json()["token"]
    return Demo(base, {"Authorization": f"Bearer {token}", "Accept": "application/json"}, devices), (username, password)


def log_in(browser, base: str, username: str, password: str) -> None:
    browser.get(f"{base}/api/v1/auth/login/?next=/api/v1/monitoring/dashboard/")
    wait(browser, when.presence_of_element_located((By.ID, "username"))).send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password)
    click_to_leave(browser, browser.find_element(By.ID, "login"))


def open_page(browser, url: str, ready_selector: str) -> None:
    """Load a page and wait until its scripts say it is drawn."""
    browser.get(url)
    wait(browser, lambda driver: driver.find_elements(By.CSS_SELECTOR, ready_selector), timeout=20)


def check_page_hygiene(browser, base: str, name: str) -> None:
    """No console error, nothing loaded from another host; a screenshot for people."""
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat(performance.getEntriesByType('navigation').map(e => e.name))")
    assert loaded and all(url.startswith(base + "/") for url in loaded), loaded
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, max(900, min(height, 6000)))
    browser.save_screenshot(str(ARTEFACTS / f"{name}.png"))
    browser.set_window_size(1400, 1000)


def drawn_charts(browser) -> list[dict]:
    """What uPlot drew: per chart its title, number of series and of points."""
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#charts .chart')).map((figure, i) => ({"
        "  title: figure.dataset.title, type: figure.dataset.type,"
        "  series: document.getElementById('charts')._plots[i].series.length - 1,"
        "  points: document.getElementById('charts')._plots[i].data[0].length}))")


def expected_charts(answer: dict) -> list[dict]:
    """The same from the API's chart JSON: one series per trace, plus the total of
    `calculate_total` charts; one point per `x` label."""
    return [{"title": chart["title"], "type": chart["type"],
             "series": len(chart["traces"]) + (1 if chart.get("calculate_total") else 0),
             "points": len(answer["x"])} for chart in answer["charts"]]


def wait_drawn(browser) -> None:
    wait(browser, lambda driver: driver.find_element(By.ID, "chart-page").get_attribute("data-ready") == "true",
         timeout=20)


def test_every_page_draws_what_the_api_answers(app, site, browser):
    demo, (username, password) = seed_demo(app, site.base)
    timings = {}
    log_in(browser, site.base, username, password)
    wait_drawn(browser)
    assert urlsplit(browser.current_url).path == "/api/v1/monitoring/dashboard/"

    check_dashboard(browser, demo)
    check_page_hygiene(browser, site.base, "dashboard")
    timings.update(check_device_page(browser, demo))
    check_device_list(browser, demo)
    check_page_hygiene(browser, site.base, "devices")
    check_map(browser, demo)
    check_page_hygiene(browser, site.base, "map")
    check_notifications(browser, demo)
    check_page_hygiene(browser, site.base, "notifications")
    check_wifi_sessions(browser, demo)
    check_page_hygiene(browser, site.base, "wifi-sessions")
    check_nearby_devices(browser, demo)
    check_page_hygiene(browser, site.base, "nearby-devices")
    check_navigation(browser, site.base)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "timings.json").write_text(json.dumps(timings, indent=2))


def check_dashboard(browser, demo: Demo) -> None:
    answer = demo.get("/api/v1/monitoring/dashboard/")
    assert drawn_charts(browser) == expected_charts(answer)
    for status in STATUS_COLORS:
        expected = demo.get("/api/v1/monitoring/device/", monitoring__status=status)["count"]
        wait(browser, lambda driver, status=status: driver.find_element(By.ID, f"count-{status}").text != "…")
        assert browser.find_element(By.ID, f"count-{status}").text == str(expected)
    assert browser.find_element(By.ID, "count-critical").text == "1"
    # The filters are the API's: a location's charts are the API's answer for that location.
    location = demo.get("/api/v1/monitoring/geojson/")["features"][0]["id"]
    choice = wait(browser, lambda driver: driver.find_elements(
        By.CSS_SELECTOR, f"#filter-location option[value='{location}']"))[0]
    browser.execute_script("arguments[0].selected = true; arguments[0].parentNode.dispatchEvent("
                           "new Event('change', {bubbles: true}))", choice)
    wait(browser, lambda driver: f"location_id={location}" in driver.current_url)
    wait_drawn(browser)
    filtered = demo.get("/api/v1/monitoring/dashboard/", location_id=location)
    assert drawn_charts(browser) == expected_charts(filtered)
    clients = next(i for i, chart in enumerate(filtered["charts"]) if chart["title"] == "General WiFi Clients")
    values = filtered["charts"][clients]["traces"][0][1]
    assert values != answer["charts"][clients]["traces"][0][1]  # the filter changes what is drawn
    figure = browser.find_elements(By.CSS_SELECTOR, "#charts .chart")[clients]
    assert data_table(browser, figure) == [[label, "–" if value is None else f"{value:g}"]
                                           for label, value in zip(filtered["x"], values, strict=True)]


def check_device_page(browser, demo: Demo) -> dict:
    device = demo.devices[FULL_DISK]
    url = f"{demo.base}/api/v1/monitoring/device/{device}/"
    timings = {}

    # A year: the whole page drawn and usable within a second of the navigation (the page
    # notes when, in milliseconds since the navigation started).
    open_page(browser, url + "?time=365d", "#chart-page[data-ready=true]")
    timings["device_page_365d_interactive_ms"] = int(
        browser.find_element(By.ID, "chart-page").get_attribute("data-drawn-at"))
    assert timings["device_page_365d_interactive_ms"] < INTERACTIVE_WITHIN_MS, timings
    answer = demo.get(f"/api/v1/monitoring/device/{device}/", time="365d")
    assert drawn_charts(browser) == expected_charts(answer)
    timings["device_page_365d_charts"] = len(answer["charts"])
    check_page_hygiene(browser, demo.base, "device-365d")

    browser.get(url + "?time=1d")
    wait_drawn(browser)
    answer = demo.get(f"/api/v1/monitoring/device/{device}/", time="1d")
    drawn = drawn_charts(browser)
    assert drawn == expected_charts(answer)
    assert {"Ping Success Rate", "Traffic: wan", "Disk Usage"} <= {chart["title"] for chart in drawn}
    # Status and why.
    assert browser.find_element(By.CSS_SELECTOR, "#status .status").text.endswith("problem")
    unhealthy = [metric["name"] for metric in demo.get(f"/api/v1/monitoring/device/{device}/metric/",
                                                       is_healthy="false")]
    assert unhealthy and browser.find_element(By.ID, "status-reason").text == "Unhealthy: " + ", ".join(unhealthy)
    check_chart_details(browser, answer)
    check_page_hygiene(browser, demo.base, "device")

    # The period buttons, a custom range and the time zone ask the API again.
    browser.find_element(By.CSS_SELECTOR, "#range-buttons button[value='7d']").click()
    wait(browser, lambda driver: "time=7d" in driver.current_url)
    wait_drawn(browser)
    assert drawn_charts(browser) == expected_charts(demo.get(f"/api/v1/monitoring/device/{device}/", time="7d"))
    pressed = browser.find_element(By.CSS_SELECTOR, "#range-buttons button[value='7d']")
    assert pressed.get_attribute("aria-pressed") == "true"
    start, end = answer["x"][0] + ":00", answer["x"][40] + ":00"
    browser.execute_script("document.getElementById('range-start').value = arguments[0];"
                           "document.getElementById('range-end').value = arguments[1];",
                           start.replace(" ", "T"), end.replace(" ", "T"))
    browser.find_element(By.ID, "apply-range").click()
    wait(browser, lambda driver: "start=" in driver.current_url)
    wait_drawn(browser)
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query["start"] == [start] and query["end"] == [end]
    custom = demo.get(f"/api/v1/monitoring/device/{device}/", start=start, end=end)
    assert drawn_charts(browser) == expected_charts(custom) and len(custom["x"]) == 41
    zone = browser.find_element(By.ID, "timezone")
    browser.execute_script("arguments[0].value = 'Asia/Tokyo'; arguments[0].dispatchEvent(new Event('change'));", zone)
    wait(browser, lambda driver: "timezone=Asia%2FTokyo" in driver.current_url)
    wait_drawn(browser)
    tokyo = demo.get(f"/api/v1/monitoring/device/{device}/", start=start, end=end, timezone="Asia/Tokyo")
    assert drawn_charts(browser) == expected_charts(tokyo)

    # The CSV and the JSON of what is shown, one click away.
    csv_href = browser.find_element(By.ID, "download-csv").get_attribute("href")
    assert parse_qs(urlsplit(csv_href).query)["csv"] == ["true"]
    csv = requests.get(csv_href, headers=demo.headers, timeout=30)
    assert csv.headers["Content-Type"].startswith("text/csv") and csv.text.startswith("time,")
    click_to_leave(browser, browser.find_element(By.ID, "view-json"))
    shown = json.loads(browser.find_element(By.TAG_NAME, "pre").text)
    assert shown["id"] == device and shown["x"] == tokyo["x"]
    browser.back()
    wait_drawn(browser)

    # uPlot with a year of 10-minute points per trace (what a custom year range at the
    # finest bucket would be): three charts drawn well within the second.
    timings["year_of_10_minute_points_3_charts_ms"] = browser.execute_script("""
        const x = [], values = [];
        const start = Date.UTC(2024, 0, 1);
        for (let i = 0; i < 52560; i++) {
          x.push(new Date(start + i * 600000).toISOString().slice(0, 16).replace('T', ' '));
          values.push(i % 97 === 0 ? null : Math.round(Math.abs(Math.sin(i / 500)) * 10000) / 100);
        }
        const answer = JSON.parse(document.getElementById('document').textContent);
        const uptime = answer.charts.find(c => c.colorscale);
        const charts = [
          {title: 'cpu', type: 'scatter', unit: '%', traces: [['CPU_load', values]], summary: {CPU_load: 1},
           summary_labels: ['CPU Load'], colors: ['#7f7f7f'], colorscale: null},
          {title: 'traffic', type: 'stackedbar+lines', unit: 'adaptive_prefix+B', calculate_total: true,
           trace_type: {download: 'stackedbar', upload: 'stackedbar', total: 'lines'},
           trace_order: ['total', 'download', 'upload'], traces: [['download', values], ['upload', values]],
           summary: {download: 1, upload: 1}, summary_labels: ['t', 'd', 'u'],
           colors: ['#7f7f7f', '#1f77b4', '#ff7f0e']},
          Object.assign({}, uptime, {traces: [['uptime', values]]}),
        ];
        const box = document.createElement('div');
        box.className = 'charts';
        document.body.append(box);
        const began = performance.now();
        Charts.drawCharts(box, {charts: charts, x: x});
        const took = performance.now() - began;
        box._plots.forEach(p => p.destroy());
        box.remove();
        return Math.round(took);
    """)
    assert timings["year_of_10_minute_points_3_charts_ms"] < INTERACTIVE_WITHIN_MS, timings
    return timings


def check_chart_details(browser, answer: dict) -> None:
    """Summaries, the colour scale drawn in the bars, and the data table of a chart."""
    uptime_index = next(i for i, chart in enumerate(answer["charts"]) if chart.get("colorscale"))
    uptime = answer["charts"][uptime_index]
    figure = browser.find_elements(By.CSS_SELECTOR, "#charts .chart")[uptime_index]
    assert figure.find_element(By.CSS_SELECTOR, ".summary").text.startswith(uptime["summary_labels"][0])
    labels = [entry[2] for entry in uptime["colorscale"]["map"]]
    assert [item.text.split(" (")[0] for item in figure.find_elements(By.CSS_SELECTOR, ".scale > span")] == labels
    # The bar of the last value is painted in its scale colour.
    values = uptime["traces"][0][1]
    last = max(i for i, value in enumerate(values) if value is not None)
    threshold_color = next(color for threshold, color, _ in uptime["colorscale"]["map"]
                           if threshold is None or threshold <= values[last])
    pixel = browser.execute_script("""
        const u = document.getElementById('charts')._plots[arguments[0]];
        const x = Math.round(u.valToPos(u.data[0][arguments[1]], 'x', true));
        const y = Math.round(u.valToPos(u.scales.y.max / 2, 'y', true));
        return Array.from(u.ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
    """, uptime_index, last)
    assert pixel == [int(threshold_color[i:i + 2], 16) for i in (1, 3, 5)]
    # Hovering the bar shows its time, its value and the value's label.
    over = figure.find_element(By.CSS_SELECTOR, ".u-over")
    left = browser.execute_script("const u = document.getElementById('charts')._plots[arguments[0]];"
                                  "return u.valToPos(u.data[0][arguments[1]], 'x');", uptime_index, last)
    ActionChains(browser).move_to_element_with_offset(over, round(left - over.size["width"] / 2), 0).perform()
    label = next(label for threshold, _, label in uptime["colorscale"]["map"]
                 if threshold is None or threshold <= values[last])
    legend = [cell.text for cell in figure.find_elements(By.CSS_SELECTOR, ".u-legend .u-value")]
    assert legend == [answer["x"][last], f"{values[last]:g}% ({label})"]
    # The collapsed table: one row per label, the values as the API gave them.
    rows = data_table(browser, figure)
    assert [row[0] for row in rows] == answer["x"]
    assert rows[last][1] == f"{values[last]:g} ({label})"


def data_table(browser, figure) -> list[list[str]]:
    """Open a chart's data table (built by the "toggle" event, which fires after the click
    returns) and read its rows."""
    figure.find_element(By.CSS_SELECTOR, "details summary").click()
    wait(browser, lambda _: figure.find_elements(By.CSS_SELECTOR, "details tbody tr"))
    return browser.execute_script("return Array.from(arguments[0].querySelectorAll('details tbody tr'))"
                                  ".map(row => Array.from(row.cells).map(cell => cell.textContent))", figure)


def check_device_list(browser, demo: Demo) -> None:
    answer = demo.get("/api/v1/monitoring/device/")
    open_page(browser, f"{demo.base}/api/v1/monitoring/device/", "#devices[data-ready=true]")
    rows = browser.find_elements(By.CSS_SELECTOR, "#devices tbody tr")
    assert row_names(browser, "#devices") == [d["name"] for d in answer["results"]]
    organization = demo.get("/api/v1/users/organization/")["results"][0]["name"]
    locations = {feature["id"]: feature["properties"]["name"]
                 for feature in demo.get("/api/v1/monitoring/geojson/")["features"]}
    for row, device in zip(rows, answer["results"], strict=True):
        cells = row.find_elements(By.TAG_NAME, "td")
        assert cells[0].text.endswith(device["monitoring"]["status"])
        unhealthy = [m["name"] for m in demo.get(f"/api/v1/monitoring/device/{device['id']}/metric/",
                                                 is_healthy="false")]
        assert cells[1].text == ", ".join(unhealthy)
        assert re.fullmatch(r"\d\d-\d\d \d\d:\d\d–\d\d:\d\d", cells[2].text), cells[2].text
        assert cells[3].text == organization
        placed = demo.get(f"/api/v1/controller/device/{device['id']}/location/")
        assert cells[4].text == locations[placed["location"]]
        link = row.find_element(By.CSS_SELECTOR, "a.device-link").get_attribute("href")
        assert link == f"{demo.base}/api/v1/monitoring/device/{device['id']}/"
    # The status filter is the API's.
    select = browser.find_element(By.ID, "filter-status")
    browser.execute_script("arguments[0].value = 'problem'", select)
    click_to_leave(browser, browser.find_element(By.ID, "apply-filters"))
    wait(browser, lambda driver: driver.find_elements(By.CSS_SELECTOR, "#devices[data-ready=true]"))
    assert browser.current_url.endswith("?monitoring__status=problem&page_size=10")
    problem = demo.get("/api/v1/monitoring/device/", monitoring__status="problem")
    assert row_names(browser, "#devices") == [d["name"] for d in problem["results"]]


def row_names(browser, table: str) -> list[str]:
    rows = browser.find_elements(By.CSS_SELECTOR, f"{table} tbody tr")
    return [row.find_element(By.TAG_NAME, "th").text for row in rows]


def check_map(browser, demo: Demo) -> None:
    answer = demo.get("/api/v1/monitoring/geojson/")
    open_page(browser, f"{demo.base}/api/v1/monitoring/geojson/", "#map[data-ready=true]")
    markers = browser.find_elements(By.CSS_SELECTOR, "#map .map-marker")
    assert len(markers) == len([f for f in answer["features"] if f["geometry"]]) == DEVICES
    critical_location = demo.get(f"/api/v1/controller/device/{demo.devices[CRITICAL]}/location/")["location"]
    marker = browser.find_element(By.CSS_SELECTOR, f"#map .map-marker[data-location='{critical_location}']")
    assert marker.get_attribute("data-status") == "critical"
    color = STATUS_COLORS["critical"]
    assert marker.value_of_css_property("background-color") == \
        "rgba({}, {}, {}, 1)".format(*(int(color[i:i + 2], 16) for i in (1, 3, 5)))
    assert marker.text == "✖"  # not the colour alone
    # The popup: counts per status and the location's devices.
    browser.execute_script("arguments[0].click()", marker)
    popup = wait(browser, when.visibility_of_element_located((By.CSS_SELECTOR, ".location-popup")))
    counts = {row.find_element(By.CSS_SELECTOR, ".status").get_attribute("data-status"):
              row.find_element(By.CSS_SELECTOR, "td.number").text for row in popup.find_elements(By.TAG_NAME, "tr")}
    assert counts == {"critical": "1", "problem": "0", "unknown": "0", "ok": "0"}
    assert "1 device in all" in popup.text
    assert popup.find_element(By.CSS_SELECTOR, "a.location-devices").get_attribute("href") == \
        f"{demo.base}/api/v1/monitoring/location/{critical_location}/device/"
    check_location_devices(browser, demo, critical_location)
    open_page(browser, f"{demo.base}/api/v1/monitoring/geojson/", "#map[data-ready=true]")
    # An indoor location: its floorplan with the positions of the indoor-coordinates endpoint.
    indoor = next(f for f in answer["features"] if f["properties"]["type"] == "indoor")
    browser.execute_script("arguments[0].click()",
                           browser.find_element(By.CSS_SELECTOR, f"#map .map-marker[data-location='{indoor['id']}']"))
    floorplan_link = wait(browser, lambda driver: driver.find_element(By.CSS_SELECTOR, "a.open-floorplan"))
    browser.execute_script("arguments[0].click()", floorplan_link)
    wait(browser, lambda driver: driver.find_element(By.ID, "indoor").get_attribute("data-ready") == "true")
    positions = demo.get(f"/api/v1/monitoring/location/{indoor['id']}/indoor-coordinates/")["results"]
    placed = browser.find_elements(By.CSS_SELECTOR, "#floorplan .map-marker")
    assert sorted(m.get_attribute("data-device") for m in placed) == sorted(p["device_id"] for p in positions)
    assert browser.find_element(By.ID, "indoor-title").text == positions[0]["floor_name"]


def check_location_devices(browser, demo: Demo, location: str) -> None:
    """A location's devices, as the map's popup links to them."""
    answer = demo.get(f"/api/v1/monitoring/location/{location}/device/")
    open_page(browser, f"{demo.base}/api/v1/monitoring/location/{location}/device/", "#location-devices tbody tr")
    assert row_names(browser, "#location-devices") == [device["name"] for device in answer["results"]]
    for row, device in zip(browser.find_elements(By.CSS_SELECTOR, "#location-devices tbody tr"), answer["results"],
                           strict=True):
        assert row.find_element(By.CSS_SELECTOR, ".status").get_attribute("data-status") == \
            device["monitoring"]["status"]
        assert row.find_element(By.CSS_SELECTOR, "th a").get_attribute("href") == \
            f"{demo.base}/api/v1/monitoring/device/{device['id']}/"
    check_page_hygiene(browser, demo.base, "location-devices")


def check_notifications(browser, demo: Demo) -> None:
    answer = demo.get("/api/v1/notifications/notification/")
    assert answer["count"] >= 2 and all(n["unread"] for n in answer["results"])
    open_page(browser, f"{demo.base}/api/v1/notifications/notification/", "#unread-count:not(:empty)")
    rows = browser.find_elements(By.CSS_SELECTOR, "#notifications tbody tr")
    assert len(rows) == len(answer["results"])
    first = answer["results"][0]
    link = rows[0].find_element(By.CSS_SELECTOR, "td.message a")
    assert link.get_attribute("href") == f"{demo.base}/api/v1/monitoring/device/{first['device']}/"
    assert "[" not in rows[0].find_element(By.CSS_SELECTOR, "td.message").text  # no raw Markdown
    rows[0].find_element(By.CSS_SELECTOR, "button.mark-read").click()
    wait(browser, lambda driver: "read" in rows[0].get_attribute("class").split())
    assert demo.get(f"/api/v1/notifications/notification/{first['id']}/")["unread"] is False
    browser.find_element(By.ID, "mark-all-read").click()
    wait(browser, lambda driver: not driver.find_elements(By.CSS_SELECTOR, "#notifications tr.unread"))
    assert demo.get("/api/v1/notifications/notification/", unread="true")["count"] == 0
    wait(browser, lambda driver: driver.find_element(By.ID, "unread-count").text == "0 unread")


def check_wifi_sessions(browser, demo: Demo) -> None:
    answer = demo.get("/api/v1/monitoring/wifi-session/")
    open_page(browser, f"{demo.base}/api/v1/monitoring/wifi-session/", "#wifi-sessions[data-ready=true]")
    rows = browser.find_elements(By.CSS_SELECTOR, "#wifi-sessions tbody tr")
    assert len(rows) == len(answer["results"]) == 10
    for row, session in zip(rows, answer["results"], strict=True):
        assert row.find_element(By.TAG_NAME, "th").text.startswith(session["client"]["mac_address"])
        link = row.find_element(By.CSS_SELECTOR, "td.device a")
        assert link.text == session["device"]
        assert link.get_attribute("href") == f"{demo.base}/api/v1/monitoring/device/{demo.devices[session['device']]}/"


def check_nearby_devices(browser, demo: Demo) -> None:
    device = demo.devices[FULL_DISK]
    answer = demo.get(f"/api/v1/monitoring/device/{device}/nearby-devices/")
    browser.get(f"{demo.base}/api/v1/monitoring/device/{device}/nearby-devices/")
    wait(browser, lambda driver: driver.find_elements(By.CSS_SELECTOR, "#nearby-devices tbody tr"))
    assert row_names(browser, "#nearby-devices") == [d["name"] for d in answer["results"]]
    assert all(d["monitoring_data"] for d in answer["results"])  # the JSON carries each sample ...
    assert browser.execute_script("return document.documentElement.scrollHeight") < 1500  # ... the page does not


def check_navigation(browser, base: str) -> None:
    """Every page has the navigation bar; each of its links leads to its page, marked current."""
    for label, path in NAVIGATION:
        click_to_leave(browser, browser.find_element(By.LINK_TEXT, label))
        wait(browser, lambda driver, path=path: urlsplit(driver.current_url).path == path)
        current = browser.find_elements(By.CSS_SELECTOR, "#navigation a[aria-current=page]")
        assert [link.text for link in current] == [label]
        assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []
        assert [link.text for link in browser.find_elements(By.CSS_SELECTOR, "#navigation a")] == \
            [label for label, _ in NAVIGATION]
