"""The pages update from the live event stream, in a real headless Chromium, with the two
servers ``make run`` starts: the API serving the pages (``EVENTS_URL`` naming the events
server on another port) and the events server letting those pages in with their session
cookie (``EVENTS_ALLOWED_ORIGINS``). A device's sample changes its status: the device list,
the device page and the dashboard show it without a reload; a new notification shows in the
count and the list. With the events server gone, the pages refresh instead."""
from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By

from monitoring.extensions import db
from monitoring.models import Notification
from monitoring.services.notifications import texts as notification_texts
from tests.geo.support import place
from tests.ops.conftest import SAMPLE, free_port
from tests.ops.test_browser import wait
from tests.ops.test_pages import chromium, log_in, open_page

pytestmark = pytest.mark.e2e

EVENTS_PATH = "/api/v1/monitoring/events/"
PASSWORD = "a-long-password"
REFRESH_SECONDS = 1


def sample(disk_percent: int) -> dict:
    """The ops sample with a disk this full: above 90 % the device is in problem at once."""
    disk = {"filesystem": "/dev/root", "mount_point": "/", "size_bytes": 1000, "used_bytes": 10 * disk_percent,
            "available_bytes": 1000 - 10 * disk_percent, "used_percent": disk_percent}
    return {**SAMPLE, "resources": {**SAMPLE["resources"], "disk": [disk]}}


@pytest.fixture
def servers(start_gunicorn):
    """(API, events server), each naming the other as ``make run`` does."""
    api_port, events_port = free_port(), free_port()
    events = start_gunicorn(PORT=str(events_port), EVENTS_STREAM="true", WEB_CONCURRENCY="1",
                            GUNICORN_THREADS="20", GUNICORN_GRACEFUL_TIMEOUT="1",
                            EVENTS_ALLOWED_ORIGINS=f"http://127.0.0.1:{api_port}")
    api = start_gunicorn(PORT=str(api_port), EVENTS_URL=f"{events.base}{EVENTS_PATH}",
                         PAGES_REFRESH_SECONDS=str(REFRESH_SECONDS))
    return api, events


def post(api, device, disk_percent: int) -> None:
    response = requests.post(f"{api.base}/api/v1/monitoring/device/{device.id}/", params={"key": device.key},
                             json=sample(disk_percent), timeout=10)
    assert response.status_code == 200, response.text


def notify(manager, device) -> None:
    """A problem notification, as the health rules write one."""
    db.session.add(Notification(recipient_id=manager.id, organization_id=device.organization_id, device_id=device.id,
                                **notification_texts.for_change(configuration="ping", kind="problem",
                                                                device_id=device.id, device_name=device.name,
                                                                threshold=None)))
    db.session.commit()


def unread(api, headers) -> int:
    return requests.get(f"{api.base}/api/v1/notifications/notification/", params={"unread": "true"},
                        headers=headers, timeout=10).json()["count"]


def row_status(browser, device) -> str:
    return browser.find_element(By.CSS_SELECTOR, f"#devices tr[data-device='{device.id}'] .status") \
        .get_attribute("data-status")


def open_live(browser, url: str, ready_selector: str) -> None:
    """Open a page, wait until it is drawn and its stream is open, and mark the window: a
    reload would lose the mark."""
    open_page(browser, url, ready_selector)
    wait(browser, lambda driver: driver.execute_script("return document.body.dataset.live") == "stream", timeout=15)
    browser.execute_script("window.notReloaded = true")


def not_reloaded(browser) -> bool:
    return browser.execute_script("return window.notReloaded === true")


def test_pages_follow_the_stream_and_refresh_without_it(servers, make):
    api, events = servers
    org = make.org()
    manager = make.user(manages=[org], password=PASSWORD)
    headers = make.headers(manager)
    first, second = make.device(org), make.device(org)
    site = make.location(org)
    for device in (first, second):
        place(device, site)
        post(api, device, 50)
    for device in (first, second):
        post(api, device, 50)
    with chromium() as browser:
        log_in(browser, api.base, manager.username, PASSWORD)

        # The device list: a sample with a full disk turns the device's badge and reasons.
        open_live(browser, f"{api.base}/api/v1/monitoring/device/", "#devices[data-ready=true]")
        assert row_status(browser, first) == "ok"
        post(api, first, 95)
        wait(browser, lambda driver: row_status(driver, first) == "problem")
        row = browser.find_element(By.CSS_SELECTOR, f"#devices tr[data-device='{first.id}']")
        assert row.find_element(By.CSS_SELECTOR, ".unhealthy").text == "Disk usage"
        assert row_status(browser, second) == "ok" and not_reloaded(browser)
        # A new notification: the count beside "Notifications".
        notify(manager, first)
        expected = f"{unread(api, headers)} unread"
        wait(browser, lambda driver: driver.find_element(By.ID, "nav-unread").text == expected)
        assert not_reloaded(browser)

        # The dashboard: the counts by status.
        open_live(browser, f"{api.base}/api/v1/monitoring/dashboard/", "#chart-page[data-ready=true]")
        wait(browser, lambda driver: driver.find_element(By.ID, "count-problem").text == "1")
        post(api, first, 50)
        wait(browser, lambda driver: driver.find_element(By.ID, "count-problem").text == "0")
        assert browser.find_element(By.ID, "count-ok").text == "2" and not_reloaded(browser)

        # The device page: its status and why.
        open_live(browser, f"{api.base}/api/v1/monitoring/device/{second.id}/", "#chart-page[data-ready=true]")
        post(api, second, 97)
        wait(browser, lambda driver: driver.find_element(By.CSS_SELECTOR, "#status .status")
             .get_attribute("data-status") == "problem")
        assert browser.find_element(By.ID, "status-reason").text == "Unhealthy: Disk usage"
        assert not_reloaded(browser)

        # The notifications: the list and its count.
        open_live(browser, f"{api.base}/api/v1/notifications/notification/", "#unread-count:not(:empty)")
        shown = len(browser.find_elements(By.CSS_SELECTOR, "#notifications tbody tr.unread"))
        notify(manager, second)
        wait(browser, lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "#notifications tbody tr.unread"))
             == shown + 1)
        expected = f"{unread(api, headers)} unread"
        wait(browser, lambda driver: driver.find_element(By.ID, "unread-count").text == expected)
        assert not_reloaded(browser)
        # The stream came from the other port, with the session, as the page's policy allows.
        assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []

        # Without the events server, the device list fetches the statuses again instead.
        events.stop()
        open_page(browser, f"{api.base}/api/v1/monitoring/device/", "#devices[data-ready=true]")
        wait(browser, lambda driver: driver.execute_script("return document.body.dataset.live") != "stream")
        browser.execute_script("window.notReloaded = true")
        assert row_status(browser, second) == "problem"
        post(api, second, 50)
        wait(browser, lambda driver: row_status(driver, second) == "ok", timeout=5 + REFRESH_SECONDS)
        assert not_reloaded(browser)
