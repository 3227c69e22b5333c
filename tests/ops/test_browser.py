"""The browsable API and Swagger UI in a real headless Chromium (Debian's chromium and
chromium-driver, installed by ``make test``)."""
from __future__ import annotations

import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as when
from selenium.webdriver.support.ui import WebDriverWait

from tests.ops.conftest import launch_gunicorn

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    server = launch_gunicorn(database_url, tmp_path_factory.mktemp("browser-site"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(site):
    """Quits before the server stops (it depends on ``site``): Chromium keeps idle and
    speculative connections open, which would hold gunicorn's sync workers at shutdown."""
    profile = tempfile.mkdtemp(prefix="monitoring-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _page_changed_underneath(error: WebDriverException) -> bool:
    """An element read while its page was being replaced: a stale reference or, when the
    document changes mid-call, chromedriver's "Node with given id does not belong to the
    document"."""
    return (isinstance(error, StaleElementReferenceException)
            or "does not belong to the document" in (error.msg or ""))


def wait(driver, condition, timeout: float = 10):
    """Wait until ``condition`` holds; a read that the page changed underneath counts as
    "not yet" and is tried again, any other error fails."""
    def check(driver):
        try:
            return condition(driver)
        except WebDriverException as error:
            if _page_changed_underneath(error):
                return False
            raise

    return WebDriverWait(driver, timeout).until(check)


def click_to_leave(driver, element) -> None:
    """Click ``element``, which navigates, and wait until the page it was on is gone: what
    is read next comes from the new page, never from the one being left."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait(driver, when.staleness_of(page))


def title(driver) -> str:
    return wait(driver, when.presence_of_element_located((By.TAG_NAME, "h1"))).text


def test_log_in_browse_filter_and_log_out(browser, site, make):
    server = site
    make.user(username="admin", password="admin-pass-1", superuser=True)
    org = make.org()
    for n in range(12):
        make.device(org, name=f"ap-{n:02d}")
    router = make.device(org, name="core-router")

    browser.get(f"{server.base}/api/v1/controller/device/")
    assert title(browser) == "401 Unauthorized"
    assert "Authentication credentials were not provided." in browser.find_element(By.ID, "detail").text
    click_to_leave(browser, browser.find_element(By.ID, "login-link"))

    wait(browser, when.presence_of_element_located((By.ID, "username"))).send_keys("admin")
    browser.find_element(By.ID, "password").send_keys("admin-pass-1")
    click_to_leave(browser, browser.find_element(By.ID, "login"))
    # Back where the login started, now as admin.
    wait(browser, when.text_to_be_present_in_element((By.TAG_NAME, "h1"), "List devices"))
    assert browser.current_url == f"{server.base}/api/v1/controller/device/"
    assert browser.find_element(By.ID, "user").text == "admin"
    assert browser.find_element(By.ID, "count").text == "13 results"
    assert browser.find_element(By.ID, "docs-link").get_attribute("href") == f"{server.base}/api/v1/docs/"
    assert '"count": 13' in browser.find_element(By.ID, "response").text

    # Pagination: the second page, and back.
    click_to_leave(browser, browser.find_element(By.ID, "next-page"))
    wait(browser, when.presence_of_element_located((By.ID, "previous-page")))
    assert "page=2" in browser.current_url
    assert browser.find_elements(By.ID, "next-page") == []
    click_to_leave(browser, browser.find_element(By.ID, "previous-page"))
    wait(browser, when.presence_of_element_located((By.ID, "next-page")))

    # A device's id leads to its detail page.
    first_link = browser.find_element(By.CSS_SELECTOR, "#response a[href^='/api/v1/controller/device/']")
    device_url = first_link.get_attribute("href")
    click_to_leave(browser, first_link)
    wait(browser, when.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Read a device"))
    assert browser.current_url == device_url
    detail = browser.find_element(By.ID, "response").text
    assert '"key": "' in detail and f'"organization": "{org.id}"' in detail
    assert browser.find_elements(By.ID, "filters") == []

    # The filter form: only filled fields go into the query.
    browser.back()
    search = wait(browser, when.presence_of_element_located((By.ID, "param-search")))
    search.send_keys("core")
    click_to_leave(browser, browser.find_element(By.ID, "apply-filters"))
    wait(browser, when.text_to_be_present_in_element((By.ID, "count"), "1 result"))
    assert browser.current_url == f"{server.base}/api/v1/controller/device/?search=core"
    assert browser.find_element(By.ID, "param-search").get_attribute("value") == "core"
    assert f'"id": "{router.id}"' in browser.find_element(By.ID, "response").text

    # Log out: the session is over.
    click_to_leave(browser, browser.find_element(By.ID, "logout"))
    wait(browser, when.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Log in"))
    browser.get(f"{server.base}/api/v1/controller/device/")
    assert title(browser) == "401 Unauthorized"


def test_swagger_ui_renders_its_operations_offline(browser, site):
    server = site
    browser.get(f"{server.base}/api/v1/docs/")
    wait(browser, lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".opblock-summary")) > 20, timeout=15)
    summaries = [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-description")]
    assert "List devices" in summaries and "Send a NetJSON DeviceMonitoring sample" in summaries
    # Everything the page loaded came from this server: no CDN.
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(server.base) for url in loaded)
