"""The notifications API (OpenWISP's paths): a user's own notifications, read state, tenancy;
and the organizations' webhook settings."""
from __future__ import annotations

import copy
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitoring.extensions import db
from monitoring.models import Notification, NotificationWebhook, OrganizationUser, utcnow
from tests.blueprints.management_support import TIMESTAMP_RE
from tests.blueprints.test_device_data import RESOURCES, post, sample

URL = "/api/v1/notifications/notification/"


@pytest.fixture
def org(make):
    return make.org()


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
                            "metric", "target_object_id", "target_content_type"}


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

def test_superusers_set_read_and_remove_an_organizations_webhook(client, make, org, admin_headers):
    url = f"/api/v1/notifications/organization/{org.id}/webhook/"
    assert client.get(url, headers=admin_headers).status_code == 404
    response = client.put(url, headers=admin_headers, json={"url": "http://127.0.0.1:9/hook"})
    assert response.status_code == 200
    assert response.get_json()["url"] == "http://127.0.0.1:9/hook" and response.get_json()["is_active"] is True
    response = client.put(url, headers=admin_headers, json={"url": "https://hooks.example.com/x", "is_active": False})
    assert response.get_json()["is_active"] is False
    assert client.get(url, headers=admin_headers).get_json()["url"] == "https://hooks.example.com/x"
    assert client.delete(url, headers=admin_headers).status_code == 204
    assert db.session.get(NotificationWebhook, org.id) is None


def test_webhook_validation_and_access(client, make, org, admin_headers):
    url = f"/api/v1/notifications/organization/{org.id}/webhook/"
    for bad in ("ftp://127.0.0.1/x", "not a url", ""):
        response = client.put(url, headers=admin_headers, json={"url": bad})
        assert response.status_code == 400 and list(response.get_json()) == ["url"]
    manager = make.headers(make.user(manages=[org]))
    assert client.put(url, headers=manager, json={"url": "http://127.0.0.1:9/"}).status_code == 403
    assert client.get(url, headers=manager).status_code == 403
    missing = f"/api/v1/notifications/organization/{uuid.uuid4()}/webhook/"
    assert client.get(missing, headers=admin_headers).status_code == 404


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
