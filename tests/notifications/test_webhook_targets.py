"""Where a webhook may point: only public addresses (unless allowed), never a cloud metadata
endpoint, checked on every address a name resolves to at the moment of delivery, and the
connection made to the address that was checked (with the name kept for Host and TLS)."""
from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from monitoring.services.notifications import webhook_targets, webhooks
from tests.notifications.support import POLICY, Certificate, FakeDns, Receiver, deliveries, hook, queue

SAVED = "/api/v1/notifications/organization/{}/webhook/"
STRICT = dataclasses.replace(POLICY, allow_private_targets=False)

REFUSED = {
    "127.0.0.1": "a loopback address",
    "127.8.9.10": "a loopback address",
    "::1": "a loopback address",
    "0.0.0.0": "an unspecified address",
    "::": "an unspecified address",
    "10.1.2.3": "a private address",
    "172.16.5.4": "a private address",
    "192.168.1.1": "a private address",
    "169.254.1.1": "a link-local address",
    "fe80::1": "a link-local address",
    "fd12:3456::1": "a unique-local address",
    "224.0.0.251": "a multicast address",
    "ff02::1": "a multicast address",
    "240.0.0.1": "a reserved address",
    "255.255.255.255": "a reserved address",
    "100.64.0.1": "a non-public address",
    "169.254.169.254": "a cloud metadata address",
    "fd00:ec2::254": "a cloud metadata address",
    "100.100.100.200": "a cloud metadata address",
    "::ffff:127.0.0.1": "a loopback address (127.0.0.1)",
    "::ffff:169.254.169.254": "a cloud metadata address (169.254.169.254)",
    "64:ff9b::a9fe:a9fe": "a cloud metadata address (169.254.169.254)",
    "2002:7f00:1::": "a loopback address (127.0.0.1)",
}
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.fixture
def dns(monkeypatch):
    return FakeDns.install(monkeypatch)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.mark.parametrize(("address", "kind"), REFUSED.items())
def test_non_public_addresses_are_refused(address, kind):
    assert webhook_targets.refusal(ipaddress.ip_address(address), allow_private=False) == kind


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert webhook_targets.refusal(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.parametrize("address", REFUSED)
def test_allowing_private_targets_never_allows_the_metadata_endpoints(address):
    allowed = webhook_targets.refusal(ipaddress.ip_address(address), allow_private=True)
    assert allowed == (REFUSED[address] if "metadata" in REFUSED[address] else None)


def test_a_delivery_to_a_private_address_is_refused_unless_allowed(make, receiver):
    """With the setting off (the default), the worker does not connect at all: the delivery
    fails with the reason, is retried, and the local receiver hears nothing."""
    org = make.org()
    hook(org, receiver.url)  # saved before the rule, or straight into the table
    queue(org)
    summary = webhooks.deliver_due(policy=STRICT)
    assert (summary.delivered, summary.retrying) == (0, 1)
    [delivery] = deliveries()
    assert delivery.attempts == 1 and delivery.last_error == (
        "refused: 127.0.0.1 is a loopback address; webhooks may only call public addresses")
    assert receiver.requests == []
    # Allowed, the same delivery goes through.
    assert webhooks.deliver_due(policy=POLICY, now=delivery.next_attempt_at).delivered == 1
    assert len(receiver.requests) == 1


def test_a_name_rebound_to_a_private_address_after_saving_is_refused(client, make, admin_headers, receiver, dns):
    org = make.org()
    dns.names["hooks.rebind.test"] = ["93.184.215.14"]  # public when the URL is saved
    url = receiver.url_for("hooks.rebind.test")
    response = client.put(SAVED.format(org.id), headers=admin_headers, json={"url": url})
    assert response.status_code == 200, response.get_json()
    dns.names["hooks.rebind.test"] = ["127.0.0.1"]  # the receiver's address when delivering
    queue(org)
    assert webhooks.deliver_due(policy=STRICT).retrying == 1
    assert deliveries()[0].last_error == ("refused: hooks.rebind.test resolves to 127.0.0.1, a loopback address; "
                                          "webhooks may only call public addresses")
    assert receiver.requests == []


def test_every_address_of_a_name_is_checked(make, receiver, dns):
    org = make.org()
    dns.names["hooks.mixed.test"] = ["93.184.215.14", "169.254.169.254"]
    hook(org, receiver.url_for("hooks.mixed.test"))
    queue(org)
    webhooks.deliver_due(policy=POLICY)  # even with private targets allowed
    assert deliveries()[0].last_error == ("refused: hooks.mixed.test resolves to 169.254.169.254, a cloud "
                                          "metadata address; webhooks never call it")


def test_the_delivery_connects_to_the_address_it_checked_and_keeps_the_name(make, receiver, dns):
    """The name is resolved once, by the check; the connection goes to that address (the
    system resolver knows nothing of this name), and the request still names the host."""
    org = make.org()
    dns.names["hooks.example.test"] = ["127.0.0.1"]
    hook(org, receiver.url_for("hooks.example.test") + "?token=a%20b")
    queue(org)
    assert webhooks.deliver_due(policy=POLICY).delivered == 1
    assert dns.lookups == ["hooks.example.test"]
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.example.test:{receiver.port}"


def test_https_checks_the_certificate_against_the_name(make, dns, tmp_path):
    certificate = Certificate.create(tmp_path, "hooks.tls.test")
    receiver = Receiver(tls=certificate.server())
    try:
        dns.names["hooks.tls.test"] = dns.names["wrong.tls.test"] = ["127.0.0.1"]
        policy = dataclasses.replace(POLICY, tls=certificate.client)
        right, wrong = make.org(), make.org()
        hook(right, receiver.url_for("hooks.tls.test"))
        hook(wrong, receiver.url_for("wrong.tls.test"))
        queue(right), queue(wrong)
        summary = webhooks.deliver_due(policy=policy)
        assert (summary.delivered, summary.retrying) == (1, 1)
        assert sorted(receiver.server_names) == ["hooks.tls.test", "wrong.tls.test"]  # SNI: the names
        [request] = receiver.requests
        assert request.headers["Host"] == f"hooks.tls.test:{receiver.port}"
        assert deliveries(right)[0].delivered_at is not None
        assert "CERTIFICATE_VERIFY_FAILED" in deliveries(wrong)[0].last_error
    finally:
        receiver.close()


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/hook", "file:///etc/passwd", "gopher://93.184.215.14/"])
def test_only_http_and_https_are_called(make, url):
    org = make.org()
    hook(org, url)
    queue(org)
    assert webhooks.deliver_due(policy=POLICY).retrying == 1
    assert deliveries()[0].last_error == "refused: only http and https URLs are called"
