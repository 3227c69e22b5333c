"""E-mail notifications through the outbox, against a real SMTP server on 127.0.0.1: what
arrives and when (a problem and its quick recovery in one message, digests at most every
batch interval), retries, and nothing received twice when the worker is killed mid-batch."""
from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from monitoring.extensions import db
from monitoring.models import EmailPreference, utcnow
from monitoring.services.notifications import emails
from tests.ingest.test_device_samples import RESOURCES, post, sample
from tests.notifications.support import email_deliveries, email_policy_for, html_of, text_of

ROOT = Path(__file__).resolve().parents[2]


def disk(client, device, *, full: bool):
    resources = copy.deepcopy(RESOURCES)
    if full:
        resources["disk"][0]["used_bytes"] = 29000
    assert post(client, device, sample(resources=resources)).status_code == 200


def choose(user, org, mode: str) -> None:
    db.session.add(EmailPreference(user_id=user.id, organization_id=org.id, mode=mode))
    db.session.commit()


def later(minutes: float):
    return utcnow() + timedelta(minutes=minutes)


def test_a_problem_is_emailed_to_each_recipient_once_the_collapse_interval_has_passed(client, make, org, mailbox):
    manager, superuser = make.user(manages=[org]), make.user(superuser=True)
    make.user(member_of=[org])  # not a manager: no notification, no e-mail
    device = make.device(org, name="ap-lobby")
    disk(client, device, full=True)
    policy = email_policy_for(mailbox)
    assert emails.deliver_due(policy=policy).is_empty  # a recovery may still follow
    assert mailbox.messages == []
    summary = emails.deliver_due(policy=policy, now=later(6))
    assert (summary.messages, summary.sent) == (2, 2)
    [to_manager] = mailbox.to(manager.email)
    assert len(mailbox.to(superuser.email)) == 1
    assert to_manager["Subject"] == "[ACME Monitoring] Problem: ap-lobby, Disk usage"
    assert to_manager["From"] == "noc@example.org"
    link = f"https://monitoring.example.org/api/v1/monitoring/device/{device.id}/"
    text = text_of(to_manager)
    assert "The device ap-lobby is experiencing a peak in disk usage, which has gone over 90%." in text
    assert f"Device: {link}" in text and "https://monitoring.example.org/api/v1/notifications/email-preference/" in text
    assert f'<a href="{link}">ap-lobby</a>' in html_of(to_manager)
    assert all(d.state == "sent" and d.attempts == 1 and d.next_attempt_at is None for d in email_deliveries())
    assert len({d.message_id for d in email_deliveries()}) == 2
    assert emails.deliver_due(policy=policy, now=later(60)).is_empty  # nothing twice
    assert len(mailbox.messages) == 2


def test_a_problem_and_its_quick_recovery_are_one_message(client, make, org, mailbox):
    manager = make.user(manages=[org])
    device = make.device(org, name="ap-roof")
    disk(client, device, full=True)
    disk(client, device, full=False)
    summary = emails.deliver_due(policy=email_policy_for(mailbox), now=later(6))
    assert (summary.messages, summary.sent) == (1, 2)
    [message] = mailbox.to(manager.email)
    assert message["Subject"] == "[ACME Monitoring] Problem and recovery: ap-roof, Disk usage"
    text = text_of(message)
    problem = text.index("The device ap-roof is experiencing a peak in disk usage, which has gone over 90%.")
    assert problem < text.index("The device ap-roof disk usage has returned to normal levels.")
    assert text.count("Device: https://monitoring.example.org/api/v1/monitoring/device/") == 1
    assert len({d.message_id for d in email_deliveries()}) == 1


def test_a_device_name_is_text_in_both_parts(client, make, org, mailbox):
    manager = make.user(manages=[org])
    device = make.device(org, name="e <b>[x](https://evil.example/)</b> & co")
    disk(client, device, full=True)
    assert emails.deliver_due(policy=email_policy_for(mailbox), now=later(6)).messages == 1
    [message] = mailbox.to(manager.email)
    assert message["Subject"] == f"[ACME Monitoring] Problem: {device.name}, Disk usage"
    assert f"The device {device.name} is experiencing" in text_of(message)
    link = f"https://monitoring.example.org/api/v1/monitoring/device/{device.id}/"
    assert (f'<p>The device <a href="{link}">e &lt;b&gt;[x](https://evil.example/)&lt;/b&gt; &amp; co</a> is '
            "experiencing") in html_of(message)
    assert "<b>" not in html_of(message) and 'href="https://evil.example/' not in html_of(message)


def test_every_notification_mode_sends_each_as_it_comes(client, make, org, mailbox):
    manager = make.user(manages=[org])
    choose(manager, org, "every")
    first, second = make.device(org), make.device(org)
    disk(client, first, full=True)
    disk(client, second, full=True)
    policy = email_policy_for(mailbox)
    assert emails.deliver_due(policy=policy, now=later(6)).messages == 2
    disk(client, first, full=False)
    assert emails.deliver_due(policy=policy, now=later(12)).messages == 1  # no batching
    subjects = [message["Subject"] for message in mailbox.to(manager.email)]
    assert sorted(subjects[:2]) == sorted(f"[ACME Monitoring] Problem: {d.name}, Disk usage" for d in (first, second))
    assert subjects[2] == f"[ACME Monitoring] Recovery: {first.name}, Disk usage"


def test_digest_after_the_first_email_at_most_every_batch_interval(client, make, org, mailbox):
    manager = make.user(manages=[org])  # no choice made: digests
    first, second = make.device(org), make.device(org)
    policy = email_policy_for(mailbox)
    disk(client, first, full=True)
    start = later(6)
    assert emails.deliver_due(policy=policy, now=start).messages == 1  # the first goes at once
    disk(client, first, full=False)
    disk(client, second, full=True)
    for minutes in (10, 60, 170):
        assert emails.deliver_due(policy=policy, now=start + timedelta(minutes=minutes)).messages == 0
    waiting = [d for d in email_deliveries() if d.state == "pending"]
    assert len(waiting) == 2 and all(d.next_attempt_at == start + timedelta(hours=3) for d in waiting)
    summary = emails.deliver_due(policy=policy, now=start + timedelta(hours=3))
    assert (summary.messages, summary.sent) == (1, 2)
    digest = mailbox.to(manager.email)[1]
    assert digest["Subject"] == "[ACME Monitoring] 2 notifications"
    text = text_of(digest)
    assert f"Device: https://monitoring.example.org/api/v1/monitoring/device/{first.id}/" in text
    assert f"Device: https://monitoring.example.org/api/v1/monitoring/device/{second.id}/" in text


def test_no_email_for_those_who_chose_none_or_have_no_address(client, make, org, mailbox):
    quiet, addressless, told = make.user(manages=[org]), make.user(manages=[org]), make.user(manages=[org])
    choose(quiet, org, "none")
    addressless.email = ""
    db.session.commit()
    disk(client, make.device(org), full=True)
    [delivery] = email_deliveries()
    assert delivery.notification.recipient_id == told.id
    assert emails.deliver_due(policy=email_policy_for(mailbox), now=later(6)).messages == 1
    assert [message["To"] for message in mailbox.messages] == [told.email]


def test_refusals_are_retried_with_back_off_then_given_up(client, make, org, mailbox):
    make.user(manages=[org])
    disk(client, make.device(org), full=True)
    policy = email_policy_for(mailbox)
    mailbox.answers = ["451 4.3.0 try again later", "452 4.3.1 out of storage", "451 4.3.0 try again later"]
    start = later(6)
    assert emails.deliver_due(policy=policy, now=start).retrying == 1
    [delivery] = email_deliveries()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("pending", 1, "SMTP 451: 4.3.0 try again later")
    assert delivery.next_attempt_at == start + timedelta(seconds=30)
    assert emails.deliver_due(policy=policy, now=start + timedelta(seconds=10)).is_empty  # not yet due
    assert emails.deliver_due(policy=policy, now=start + timedelta(seconds=31)).retrying == 1
    assert email_deliveries()[0].next_attempt_at == start + timedelta(seconds=91)  # doubled: 60 s
    assert emails.deliver_due(policy=policy, now=start + timedelta(minutes=5)).given_up == 1  # third: the last
    [delivery] = email_deliveries()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert mailbox.messages == []


def test_a_permanent_refusal_is_not_retried(client, make, org, mailbox):
    make.user(manages=[org])
    disk(client, make.device(org), full=True)
    mailbox.answers = ["550 5.1.1 no such mailbox"]
    assert emails.deliver_due(policy=email_policy_for(mailbox), now=later(6)).given_up == 1
    [delivery] = email_deliveries()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 1, "SMTP 550: 5.1.1 no such mailbox")


def test_an_unreachable_server_is_retried(client, make, org, mailbox):
    make.user(manages=[org]), make.user(manages=[org])
    disk(client, make.device(org), full=True)
    mailbox.close()
    summary = emails.deliver_due(policy=email_policy_for(mailbox), now=later(6))
    # The first message's attempt fails; the run stops there, the other waits, uncounted.
    assert (summary.messages, summary.retrying) == (0, 1)
    assert sorted(d.attempts for d in email_deliveries()) == [0, 1]
    assert all(d.state == "pending" for d in email_deliveries())


def test_a_connection_lost_while_the_server_takes_a_message_is_not_sent_again(client, make, org, mailbox):
    first, second = make.user(manages=[org]), make.user(manages=[org])
    disk(client, make.device(org), full=True)
    mailbox.hang_up = True
    policy = email_policy_for(mailbox)
    summary = emails.deliver_due(policy=policy, now=later(6))
    assert (summary.messages, summary.given_up) == (0, 1)  # the run stops there
    [lost] = [d for d in email_deliveries() if d.state == "failed"]
    assert lost.last_error.startswith("SMTPServerDisconnected") and lost.last_error.endswith(emails.INTERRUPTED)
    assert emails.deliver_due(policy=policy, now=later(7)).messages == 1  # the other recipient's
    assert sorted(message["To"] for message in mailbox.messages) == sorted([first.email, second.email])
    assert emails.deliver_due(policy=policy, now=later(60)).is_empty


def test_without_an_smtp_server_due_emails_are_skipped(client, make, org, mailbox):
    make.user(manages=[org])
    disk(client, make.device(org), full=True)
    assert emails.deliver_due(policy=email_policy_for(mailbox, host="")).skipped == 1
    [delivery] = email_deliveries()
    assert (delivery.state, delivery.last_error) == ("skipped", emails.NO_SERVER)


def test_a_worker_killed_mid_batch_sends_nothing_twice(client, make, org, mailbox):
    recipients = [make.user(manages=[org]) for _ in range(3)]
    disk(client, make.device(org), full=True)
    mailbox.hold.clear()  # the first message is taken, its answer waits
    # The worker as operators run it, on the test database (DATABASE_URL), with this SMTP server.
    env = {**os.environ, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(mailbox.port), "EMAIL_COLLAPSE_SECONDS": "0"}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "worker", "--once",
                               "--job", "emails"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not mailbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(mailbox.messages) == 1, worker.stderr.read1().decode() if worker.poll() is not None else ""
        states = sorted(d.state for d in email_deliveries())
        assert states == ["pending", "pending", "sending"]
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    mailbox.hold.set()
    summary = emails.deliver_due(policy=email_policy_for(mailbox, collapse=timedelta(0)))
    assert (summary.interrupted, summary.messages) == (1, 2)
    assert sorted(message["To"] for message in mailbox.messages) == sorted(user.email for user in recipients)
    [interrupted] = [d for d in email_deliveries() if d.state == "failed"]
    assert interrupted.last_error == emails.STOPPED
    assert emails.deliver_due(policy=email_policy_for(mailbox, collapse=timedelta(0))).is_empty
    assert len(mailbox.messages) == 3
