"""Choosing e-mails per organization over the API, and the e-mail outbox as superusers
see it."""
from __future__ import annotations

from monitoring.extensions import db
from monitoring.models import EmailPreference
from tests.notifications.support import email_deliveries
from tests.notifications.test_emails import disk

PREFERENCES = "/api/v1/notifications/email-preference/"
OUTBOX = "/api/v1/notifications/email-delivery/"


def test_a_choice_applies_to_the_notifications_written_after_it(client, make, org):
    manager = make.user(manages=[org])
    headers = make.headers(manager)
    assert client.get(f"{PREFERENCES}{org.id}/", headers=headers).get_json() == {
        "organization": str(org.id), "organization_name": org.name, "mode": "digest", "is_default": True}
    device = make.device(org)
    disk(client, device, full=True)
    answer = client.put(f"{PREFERENCES}{org.id}/", headers=headers, json={"mode": "every"})
    assert answer.status_code == 200 and answer.get_json()["mode"] == "every"
    assert answer.get_json()["is_default"] is False
    disk(client, device, full=False)
    assert client.put(f"{PREFERENCES}{org.id}/", headers=headers, json={"mode": "none"}).status_code == 200
    disk(client, device, full=True)
    assert [(d.notification.type, d.mode) for d in email_deliveries()] == [
        ("disk_problem", "digest"), ("disk_recovery", "every")]  # the second problem: no e-mail


def test_the_list_has_each_organization_the_user_belongs_to(client, make):
    managed, joined, foreign = make.org("Alpha"), make.org("Bravo"), make.org("Charlie")
    user = make.user(manages=[managed], member_of=[joined])
    headers = make.headers(user)
    assert client.put(f"{PREFERENCES}{joined.id}/", headers=headers, json={"mode": "none"}).status_code == 200
    body = client.get(PREFERENCES, headers=headers).get_json()
    assert body["count"] == 2
    assert [(item["organization_name"], item["mode"]) for item in body["results"]] == [
        ("Alpha", "digest"), ("Bravo", "none")]
    assert client.get(f"{PREFERENCES}{foreign.id}/", headers=headers).status_code == 404
    assert client.put(f"{PREFERENCES}{foreign.id}/", headers=headers, json={"mode": "none"}).status_code == 404
    superuser = make.headers(make.user(superuser=True))
    assert client.get(PREFERENCES, headers=superuser).get_json()["count"] == 3
    assert client.put(f"{PREFERENCES}{foreign.id}/", headers=superuser, json={"mode": "every"}).status_code == 200


def test_bad_choices_are_400_and_change_nothing(client, make, org):
    user = make.user(manages=[org])
    headers = make.headers(user)
    assert client.put(f"{PREFERENCES}{org.id}/", headers=headers, json={"mode": "every"}).status_code == 200
    for body in ({"mode": "weekly"}, {"mode": None}, {"mode": 3}, {}, ["every"]):
        answer = client.put(f"{PREFERENCES}{org.id}/", headers=headers, json=body)
        assert answer.status_code == 400, body
        assert set(answer.get_json()) in ({"mode"}, {"_schema"}), answer.get_json()
    assert client.put(f"{PREFERENCES}{org.id}/", headers=headers, json={"mode": "weekly"}).get_json() == {
        "mode": ["Must be one of: none, every, digest."]}
    db.session.expire_all()
    assert db.session.get(EmailPreference, (user.id, org.id)).mode == "every"


def test_the_outbox_is_for_superusers_with_each_delivery_state(client, make, org):
    manager = make.user(manages=[org])
    disk(client, make.device(org), full=True)
    assert client.get(OUTBOX, headers=make.headers(manager)).status_code == 403
    superuser = make.headers(make.user(superuser=True))
    body = client.get(OUTBOX, headers=superuser).get_json()
    [item] = body["results"]
    assert item | {"id": None, "created": None, "notification": None} == {
        "id": None, "notification": None, "recipient": str(manager.id), "organization": str(org.id),
        "type": "disk_problem", "mode": "digest", "state": "pending", "attempts": 0,
        "next_attempt_at": item["next_attempt_at"], "sent_at": None, "last_error": None, "message_id": None,
        "created": None}
    assert client.get(f"{OUTBOX}?state=sent", headers=superuser).get_json()["count"] == 0
    assert client.get(f"{OUTBOX}?state=pending", headers=superuser).get_json()["count"] == 1
    bad = client.get(f"{OUTBOX}?state=lost", headers=superuser)
    assert bad.status_code == 400 and set(bad.get_json()) == {"state"}
