"""The pages for people without a browser (monitoring/browsable/views.py): which answers get
one, what they embed, the JSON and generic forms one click away, the policy of the page,
the little Markdown of the API's texts, and the files the pages load from this site."""
from __future__ import annotations

import json
import re

import pytest
from markupsafe import Markup

from monitoring import create_app
from monitoring.browsable.views import inline_markdown
from monitoring.extensions import db
from monitoring.models import Notification
from tests.geo.support import place

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def embedded_document(page: str):
    match = re.search(r'<script type="application/json" id="document" nonce="[^"]+">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


@pytest.fixture
def manager(make, org):
    return make.user(manages=[org])


def test_programs_get_the_same_json_and_browsers_a_page_that_embeds_it(client, make, org, manager):
    device = make.device(org, name="ap-lobby")
    headers = make.headers(manager)
    url = f"/api/v1/monitoring/device/{device.id}/?time=1d"
    program = client.get(url, headers=headers)
    assert program.mimetype == "application/json"
    for accept in ("application/json", "*/*", None):
        other = client.get(url, headers={**headers, **({"Accept": accept} if accept else {})})
        assert other.get_data() == program.get_data()

    page = client.get(url, headers={**headers, **BROWSER})
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert embedded_document(html) == program.get_json()
    assert 'id="chart-page"' in html and "/static/vendor/uPlot.iife.min.js" in html
    policy = page.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in policy and "script-src 'nonce-" in policy and "img-src 'self';" in policy

    # The JSON itself, and the generic page, one click away.
    assert 'href="?time=1d&amp;format=json"' in html and 'href="?time=1d&amp;format=api"' in html
    as_json = client.get(url + "&format=json", headers={**headers, **BROWSER})
    assert as_json.mimetype == "application/json" and as_json.get_json() == program.get_json()
    generic = client.get(url + "&format=api", headers={**headers, **BROWSER}).get_data(as_text=True)
    assert 'id="response"' in generic and 'id="chart-page"' not in generic


def test_only_successful_answers_get_a_page_of_their_own(client, make, org):
    device = make.device(org)
    anonymous = client.get(f"/api/v1/monitoring/device/{device.id}/", headers=BROWSER).get_data(as_text=True)
    assert "401 Unauthorized" in anonymous and 'id="chart-page"' not in anonymous
    manager = make.headers(make.user(manages=[org]))
    refused = client.get(f"/api/v1/monitoring/device/{device.id}/?time=24h", headers={**manager, **BROWSER})
    assert refused.status_code == 400 and 'id="chart-page"' not in refused.get_data(as_text=True)
    assert "Time range not supported (expected Nd, 1 ≤ N ≤ 365)" in refused.get_data(as_text=True)


def test_the_pages_list_the_answer_as_tables(client, make, org, manager, app_context):
    headers = {**make.headers(manager), **BROWSER}
    make.device(org, name="ap-<b>bold</b>")
    devices = client.get("/api/v1/monitoring/device/", headers=headers).get_data(as_text=True)
    assert 'id="devices"' in devices and "ap-&lt;b&gt;bold&lt;/b&gt;" in devices and "<b>bold" not in devices

    device = make.device(org, name="ap-1")
    for n, unread in enumerate((False, True, False, True)):
        db.session.add(Notification(recipient_id=manager.id, organization_id=org.id, device_id=device.id,
                                    type="cpu_problem", level="warning", unread=unread,
                                    message=f"The device [ap\\_{n}](/api/v1/monitoring/device/{device.id}/) is slow."))
    db.session.commit()
    page = client.get("/api/v1/notifications/notification/", headers=headers).get_data(as_text=True)
    states = re.findall(r'<tr data-notification="[^"]+" class="(unread|read)">', page)
    assert states == ["unread", "unread", "read", "read"]  # unread first, each newest first
    assert f'<a href="/api/v1/monitoring/device/{device.id}/">ap_3</a>' in page
    assert '<a href="/api/v1/notifications/email-preference/" id="email-preferences">' in page
    assert page.count('<span class="delivery delivery-pending" title="">email: pending</span>') == 4
    choices = client.get("/api/v1/notifications/email-preference/", headers=headers)
    assert choices.content_type == "text/html; charset=utf-8"
    assert "List your e-mail choices" in choices.text and "&#34;digest&#34;" in choices.text
    assert f"&#34;{org.name}&#34;" in choices.text


def test_inline_markdown_renders_code_and_site_links_and_escapes_everything_else():
    assert inline_markdown("`Nd`, 1 ≤ N ≤ 365 (e.g. `7d`)") == Markup(
        "<code>Nd</code>, 1 ≤ N ≤ 365 (e.g. <code>7d</code>)")
    assert inline_markdown("The device [a\\_b \\[x\\]](/api/v1/x/) is down.") == Markup(
        'The device <a href="/api/v1/x/">a_b [x]</a> is down.')
    # Only links to this site; any HTML stays text.
    assert inline_markdown("[x](https://evil.example/) <script>") == Markup(
        "[x](https://evil.example/) &lt;script&gt;")
    assert inline_markdown('[a](/p/"onclick=x) `<i>`') == Markup(
        '<a href="/p/&#34;onclick=x">a</a> <code>&lt;i&gt;</code>')
    assert inline_markdown(None) == Markup("")


def test_the_generic_page_renders_code_spans_of_descriptions(client, make, org, manager):
    page = client.get("/api/v1/monitoring/dashboard/?format=api", headers={**make.headers(manager), **BROWSER})
    html = page.get_data(as_text=True)
    assert "<code>MONITORING_DASHBOARD_TRAFFIC_CHART</code>" in html and "`" not in re.sub(
        r"<script.*?</script>|<pre.*?</pre>", "", html, flags=re.S)


def test_the_geojson_page_size_is_documented_as_it_behaves(client, make, org, manager):
    spec = client.get("/api/v1/openapi.json").get_json()

    def page_size_help(path):
        parameters = spec["paths"][path]["get"]["parameters"]
        return next(p["description"] for p in parameters if p.get("name") == "page_size")

    assert page_size_help("/api/v1/monitoring/geojson/") == "features per page (default 1000, no upper limit)"
    assert page_size_help("/api/v1/monitoring/location/{location_id}/indoor-coordinates/") == \
        "positions per page (default 50, max 100)"
    for n in range(12):  # more than the generic default page of 10
        place(make.device(org), make.location(org, name=f"site-{n}"))
    headers = make.headers(manager)
    located = client.get("/api/v1/monitoring/geojson/", headers=headers).get_json()
    assert located["count"] == len(located["features"]) and located["next"] is None
    assert len(client.get("/api/v1/monitoring/geojson/?page_size=200", headers=headers).get_json()["features"]) \
        == located["count"]


def test_the_libraries_and_the_map_outline_are_served_by_this_site(client):
    for path in ("/static/vendor/uPlot.iife.min.js", "/static/vendor/leaflet.js", "/static/vendor/leaflet.css",
                 "/static/ui/charts.js", "/favicon.ico"):
        assert client.get(path).status_code == 200, path
    outline = client.get("/static/vendor/land-110m.geojson").get_json()
    assert outline["type"] == "FeatureCollection" and outline["features"]


def test_a_tile_server_is_allowed_by_the_map_page_policy(make, org):
    app = create_app("config.TestConfig")
    app.config["MAP_TILE_URL"] = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    manager = make.user(manages=[org])
    with app.test_client() as client:
        page = client.get("/api/v1/monitoring/geojson/", headers={**make.headers(manager), **BROWSER})
    assert "img-src 'self' https://*.tiles.example.org;" in page.headers["Content-Security-Policy"]
    assert 'data-tile-url="https://{s}.tiles.example.org/{z}/{x}/{y}.png"' in page.get_data(as_text=True)


def test_the_pages_of_a_user_open_the_event_stream_events_url_names(make, org):
    app = create_app("config.TestConfig")
    app.config["EVENTS_URL"] = "http://127.0.0.1:8001/api/v1/monitoring/events/"
    device = make.device(org)
    headers = {**make.headers(make.user(manages=[org])), **BROWSER}
    with app.test_client() as client:
        for path in ("/api/v1/monitoring/device/", f"/api/v1/monitoring/device/{device.id}/",
                     "/api/v1/monitoring/dashboard/", "/api/v1/notifications/notification/"):
            page = client.get(path, headers=headers)
            html = page.get_data(as_text=True)
            assert '<meta name="events-url" content="http://127.0.0.1:8001/api/v1/monitoring/events/">' in html
            assert '<meta name="refresh-seconds" content="30">' in html and "/static/ui/live.js" in html
            # The page may connect to the events server, and to nothing else but this site.
            assert "connect-src 'self' http://127.0.0.1:8001;" in page.headers["Content-Security-Policy"]
        # A device reading its own page with its key has no stream (and no user to refresh for).
        keyed = client.get(f"/api/v1/monitoring/device/{device.id}/?key={device.key}", headers=BROWSER)
        assert keyed.status_code == 200 and "refresh-seconds" not in keyed.get_data(as_text=True)
    app.config["EVENTS_URL"] = ""
    with app.test_client() as client:
        page = client.get("/api/v1/monitoring/device/", headers=headers)
    html = page.get_data(as_text=True)
    assert 'name="events-url"' not in html and '<meta name="refresh-seconds" content="30">' in html
    assert "connect-src 'self';" in page.headers["Content-Security-Policy"]
