"""The notifications API (OpenWISP's paths): a user's own notifications, read state, tenancy;
and the organizations' webhook settings."""
from __future__ import annotations

import copy
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import Notification, NotificationWebhook, OrganizationUser, utcnow
from tests.ingest.test_device_samples import RESOURCES, post, sample
from tests.inventory.support import TIMESTAMP_RE
from tests.notifications.support import FakeDns

URL = "/api/v1/notifications/notification/"


def full_disk_then_recovery(client, device):
    """A disk problem then its recovery (tolerance 0): two notifications per recipient."""
    full = copy.deepcopy(RESOURCES)
    full["disk"][0]["used_bytes"] = 29000
    assert post(client, device, sample(resources=full)).status_code == 200
    assert post(client, device, sample(resources=RESOURCES)).status_code == 200


def test_a_manager_lists_their_notifications_newest_first(client, make, org):
    manager = make.user(manages=[org])
    device = make.device(org)
    full_disk_then_recovery(client, device)
    response = client.get(URL, headers=make.headers(manager))
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == 2 and body["next"] is None
    recovery, problem = body["results"]
    assert (recovery["type"], recovery["level"], problem["type"], problem["level"]) == (
        "disk_recovery", "info", "disk_problem", "warning")
    assert problem["message"] == (f"The device [{device.name}](/api/v1/monitoring/device/{device.id}/) is "
                                  "experiencing a peak in disk usage, which has gone over 90%.")
    assert problem["unread"] is True and TIMESTAMP_RE.match(problem["timestamp"])
    assert problem["device"] == problem["target_object_id"] == str(device.id)
    assert problem["target_content_type"] == "config.device" and problem["organization"] == str(org.id)
    assert set(problem) == {"id", "type", "level", "message", "unread", "timestamp", "organization", "device",
                            "metric", "target_object_id", "target_content_type", "deliveries"}


def test_read_state(client, make, org):
    manager = make.user(manages=[org])
    headers = make.headers(manager)
    full_disk_then_recovery(client, make.device(org))
    first, second = client.get(URL, headers=headers).get_json()["results"]
    detail = client.get(f"{URL}{first['id']}/", headers=headers)
    assert detail.status_code == 200 and detail.get_json() == first  # reading does not mark it read
    marked = client.patch(f"{URL}{first['id']}/", headers=headers)
    assert marked.status_code == 200 and marked.get_json()["unread"] is False
    assert [n["id"] for n in client.get(f"{URL}?unread=true", headers=headers).get_json()["results"]] == [
        second["id"]]
    assert [n["id"] for n in client.get(f"{URL}?unread=false", headers=headers).get_json()["results"]] == [
        first["id"]]
    everything = client.post(f"{URL}read/", headers=headers)
    assert everything.status_code == 200 and everything.get_json() == {"count": 1}
    assert client.get(f"{URL}?unread=1", headers=headers).get_json()["count"] == 0


def test_nobody_sees_another_organizations_or_users_notifications(client, make, org):
    manager, colleague = make.user(manages=[org]), make.user(manages=[org])
    other_org = make.org()
    outsider = make.user(manages=[other_org])
    superuser = make.user(superuser=True)
    full_disk_then_recovery(client, make.device(org))
    full_disk_then_recovery(client, make.device(other_org))
    mine = client.get(URL, headers=make.headers(manager)).get_json()["results"]
    assert len(mine) == 2 and {n["organization"] for n in mine} == {str(org.id)}
    assert client.get(URL, headers=make.headers(outsider)).get_json()["count"] == 2
    assert client.get(URL, headers=make.headers(superuser)).get_json()["count"] == 4
    # Another user's row of the same event, and a row of another organization: 404 both.
    theirs = db.session.scalar(select(Notification).where(Notification.recipient_id == colleague.id))
    for headers in (make.headers(manager), make.headers(outsider)):
        assert client.get(f"{URL}{theirs.id}/", headers=headers).status_code == 404
        assert client.patch(f"{URL}{theirs.id}/", headers=headers).status_code == 404
    client.post(f"{URL}read/", headers=make.headers(outsider))
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).unread is True


def test_notifications_of_an_organization_no_longer_managed_are_hidden(client, make, org):
    manager = make.user(manages=[org])
    full_disk_then_recovery(client, make.device(org))
    membership = db.session.scalar(select(OrganizationUser).where(OrganizationUser.user_id == manager.id))
    membership.is_admin = False
    db.session.commit()
    # Any authenticated user may ask; they see only what they may see now.
    response = client.get(URL, headers=make.headers(manager))
    assert response.status_code == 200 and response.get_json()["count"] == 0


def test_pagination_and_authentication(client, make, org):
    manager = make.user(manages=[org])
    device = make.device(org)
    now = utcnow()
    db.session.add_all([Notification(recipient_id=manager.id, organization_id=org.id, device_id=device.id,
                                     type="ping_problem", level="warning", message=f"m{i}",
                                     timestamp=now - timedelta(minutes=i)) for i in range(12)])
    db.session.commit()
    page = client.get(f"{URL}?page_size=5&page=2", headers=make.headers(manager)).get_json()
    assert page["count"] == 12 and [n["message"] for n in page["results"]] == ["m5", "m6", "m7", "m8", "m9"]
    assert page["next"].endswith("page_size=5&page=3") and page["previous"].endswith("page_size=5")
    assert client.get(f"{URL}?page=4&page_size=5", headers=make.headers(manager)).status_code == 404
    assert client.get(URL).status_code == 401
    assert client.post(f"{URL}read/").status_code == 401
    assert client.get(URL, headers={"Authorization": "Bearer nope"}).status_code == 401


# --- webhook settings -----------------------------------------------------------------------

@pytest.fixture
def dns(monkeypatch):
    return FakeDns.install(monkeypatch)


def webhook_url(org):
    return f"/api/v1/notifications/organization/{org.id}/webhook/"


def test_superusers_set_read_and_remove_an_organizations_webhook(client, make, org, admin_headers, dns):
    url = webhook_url(org)
    dns.names["hooks.example.com"] = ["93.184.215.14"]
    assert client.get(url, headers=admin_headers).status_code == 404
    response = client.put(url, headers=admin_headers, json={"url": "http://93.184.215.14:9/hook"})
    assert response.status_code == 200
    assert response.get_json()["url"] == "http://93.184.215.14:9/hook" and response.get_json()["is_active"] is True
    response = client.put(url, headers=admin_headers, json={"url": "https://hooks.example.com/x", "is_active": False})
    assert response.get_json()["is_active"] is False
    assert client.get(url, headers=admin_headers).get_json()["url"] == "https://hooks.example.com/x"
    assert client.delete(url, headers=admin_headers).status_code == 204
    assert db.session.get(NotificationWebhook, org.id) is None


def test_webhook_validation_and_access(client, make, org, admin_headers):
    url = webhook_url(org)
    for bad in ("ftp://93.184.215.14/x", "not a url", ""):
        response = client.put(url, headers=admin_headers, json={"url": bad})
        assert response.status_code == 400 and list(response.get_json()) == ["url"]
    manager = make.headers(make.user(manages=[org]))
    assert client.put(url, headers=manager, json={"url": "http://93.184.215.14:9/"}).status_code == 403
    assert client.get(url, headers=manager).status_code == 403
    missing = f"/api/v1/notifications/organization/{uuid.uuid4()}/webhook/"
    assert client.get(missing, headers=admin_headers).status_code == 404


REFUSED_WHEN_SAVED = {
    "http://127.0.0.1:8080/hook": "127.0.0.1 is a loopback address; webhooks may only call public addresses",
    "http://[::1]/hook": "::1 is a loopback address; webhooks may only call public addresses",
    "http://10.0.0.5/hook": "10.0.0.5 is a private address; webhooks may only call public addresses",
    "http://[fd12::1]/": "fd12::1 is a unique-local address; webhooks may only call public addresses",
    "http://0.0.0.0:8000/": "0.0.0.0 is an unspecified address; webhooks may only call public addresses",
    "http://169.254.169.254/latest/meta-data/": "169.254.169.254 is a cloud metadata address; webhooks never call it",
    "http://[fd00:ec2::254]/latest/": "fd00:ec2::254 is a cloud metadata address; webhooks never call it",
    "https://internal.test/hook": "internal.test resolves to 10.1.2.3, a private address; "
                                  "webhooks may only call public addresses",
    "https://mixed.test/hook": "mixed.test resolves to 192.168.7.7, a private address; "
                               "webhooks may only call public addresses",
    "https://user:pw@93.184.215.14/hook": "a user name or password in the URL is not sent; "
                                          "put a token in its path or query",
}


@pytest.mark.parametrize(("target", "message"), REFUSED_WHEN_SAVED.items())
def test_non_public_targets_are_refused_when_saved(client, make, org, admin_headers, dns, target, message):
    dns.names.update({"internal.test": ["10.1.2.3"], "mixed.test": ["93.184.215.14", "192.168.7.7"]})
    url = webhook_url(org)
    assert client.put(url, headers=admin_headers, json={"url": "https://93.184.215.14/kept"}).status_code == 200
    response = client.put(url, headers=admin_headers, json={"url": target})
    assert response.status_code == 400
    assert response.get_json() == {"url": [message]}
    db.session.expire_all()
    assert db.session.get(NotificationWebhook, org.id).url == "https://93.184.215.14/kept"  # unchanged


def test_a_name_of_this_machine_is_refused_when_saved(client, org, admin_headers):
    """``localhost`` through the system's own resolver."""
    response = client.put(webhook_url(org), headers=admin_headers, json={"url": "http://localhost:8080/hook"})
    assert response.status_code == 400
    assert response.get_json()["url"][0].startswith("localhost resolves to ")
    assert db.session.get(NotificationWebhook, org.id) is None


def test_a_name_that_does_not_resolve_yet_is_accepted(client, org, admin_headers, dns):
    """Its addresses are checked at every delivery anyway."""
    response = client.put(webhook_url(org), headers=admin_headers, json={"url": "https://not-yet.test/hook"})
    assert response.status_code == 200


def test_private_targets_may_be_allowed_but_never_the_metadata_endpoint(app, client, org, admin_headers,
                                                                       monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_TARGETS", True)
    url = webhook_url(org)
    assert client.put(url, headers=admin_headers, json={"url": "http://127.0.0.1:9/hook"}).status_code == 200
    response = client.put(url, headers=admin_headers, json={"url": "http://169.254.169.254/latest/"})
    assert response.status_code == 400 and "cloud metadata" in response.get_json()["url"][0]


# --- webhook secrets ------------------------------------------------------------------------

def test_the_secret_is_made_with_the_webhook_and_kept_when_it_changes(client, make, org, admin_headers):
    url = webhook_url(org)
    created = client.put(url, headers=admin_headers, json={"url": "https://93.184.215.14/a"}).get_json()
    assert re.fullmatch(r"[0-9a-f]{64}", created["secret"])
    changed = client.put(url, headers=admin_headers, json={"url": "https://93.184.215.14/b"}).get_json()
    assert changed["secret"] == created["secret"] and changed["url"] == "https://93.184.215.14/b"
    assert client.get(url, headers=admin_headers).get_json()["secret"] == created["secret"]
    response = client.put(url, headers=admin_headers, json={"url": "https://93.184.215.14/c", "secret": "mine"})
    assert response.get_json()["secret"] == created["secret"]  # read-only, like the other output fields
    other = client.put(webhook_url(make.org()), headers=admin_headers, json={"url": "https://93.184.215.14/a"})
    assert other.get_json()["secret"] != created["secret"]


def test_rotating_the_secret(client, make, org, admin_headers):
    url = webhook_url(org)
    rotate = url + "rotate-secret/"
    assert client.post(rotate, headers=admin_headers).status_code == 404  # no webhook yet
    old = client.put(url, headers=admin_headers, json={"url": "https://93.184.215.14/a"}).get_json()["secret"]
    response = client.post(rotate, headers=admin_headers)
    assert response.status_code == 200
    new = response.get_json()["secret"]
    assert re.fullmatch(r"[0-9a-f]{64}", new) and new != old
    assert response.get_json()["url"] == "https://93.184.215.14/a"
    assert client.get(url, headers=admin_headers).get_json()["secret"] == new
    db.session.expire_all()
    assert db.session.get(NotificationWebhook, org.id).secret == new
    manager = make.headers(make.user(manages=[org]))
    assert client.post(rotate, headers=manager).status_code == 403
    assert client.post(rotate).status_code == 401
    assert client.post(f"/api/v1/notifications/organization/{uuid.uuid4()}/webhook/rotate-secret/",
                       headers=admin_headers).status_code == 404
    assert client.get(url, headers=admin_headers).get_json()["secret"] == new  # the refused calls changed nothing


def test_the_openapi_document_describes_the_secret_and_its_rotation(client):
    document = client.get("/api/v1/openapi.json").get_json()
    rotate = document["paths"]["/api/v1/notifications/organization/{organization_id}/webhook/rotate-secret/"]
    assert set(rotate) >= {"post"} and "200" in rotate["post"]["responses"]
    secret = document["components"]["schemas"]["Webhook"]["properties"]["secret"]
    assert secret["readOnly"] is True and "X-Monitoring-Signature" in secret["description"]


def test_a_device_name_a_manager_chose_is_text_in_a_superusers_notification(client, make, org):
    superuser, manager = make.user(superuser=True), make.user(manages=[org])
    device = make.device(org)
    planted = "[Verify your account](https://evil.example/login)"
    response = client.patch(f"/api/v1/controller/device/{device.id}/", headers=make.headers(manager),
                            json={"name": planted})
    assert response.status_code == 200
    full_disk_then_recovery(client, device)
    messages = [n["message"] for n in client.get(URL, headers=make.headers(superuser)).get_json()["results"]]
    assert len(messages) == 2
    escaped = "\\[Verify your account\\]\\(https\\://evil\\.example/login\\)"
    assert messages[1] == (f"The device [{escaped}](/api/v1/monitoring/device/{device.id}/) is "
                           "experiencing a peak in disk usage, which has gone over 90%.")
