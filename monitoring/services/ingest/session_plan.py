"""WiFi clients and sessions derived from device samples (docs/api.md §9.1).

Only access-point wireless interfaces count. A client seen on (device, interface, SSID) has
an open session there; a client missing from a later sample has its session closed; a
client that comes back gets a new session (sessions are never reopened). Sessions open and
close at the *sample's* time, not when it arrived: samples a device buffered during an
outage and sends afterwards give the sessions that really happened.

Pure planning: given the open sessions and a sample, what to insert and what to close. The
writes go with the rest of the sample's (monitoring/timeseries/sample_store.py).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

CLIENT_FLAGS = ("ht", "vht", "he")
CLIENT_BOOLEANS = ("wmm", "wds", "wps")


@dataclass
class SessionPlan:
    clients: list[dict] = field(default_factory=list)  # wifi_clients rows to upsert
    new_sessions: list[dict] = field(default_factory=list)
    ended_sessions: list[uuid.UUID] = field(default_factory=list)


def associated_clients(document: dict) -> list[tuple[str, str | None, dict]]:
    """(interface name, ssid, client) for every client of an access-point interface."""
    found = []
    for interface in document.get("interfaces") or []:
        wireless = interface.get("wireless")
        if interface.get("type") != "wireless" or not isinstance(wireless, dict):
            continue
        if wireless.get("mode") != "access_point":
            continue
        # Stored with the reference's column limits: a longer name must not fail the sample.
        ssid = wireless["ssid"][:32] if isinstance(wireless.get("ssid"), str) else None
        name = str(interface.get("name", ""))[:15]
        for client in wireless.get("clients") or []:
            if isinstance(client, dict) and isinstance(client.get("mac"), str) and client["mac"]:
                found.append((name, ssid, client))
    return found


def _client_row(client: dict, organization_id: uuid.UUID) -> dict:
    row = {"organization_id": organization_id, "mac_address": client["mac"][:17], "vendor": client.get("vendor")}
    for name in CLIENT_FLAGS:
        row[name] = client.get(name) if isinstance(client.get(name), bool) else None
    for name in CLIENT_BOOLEANS:
        row[name] = client.get(name) is True  # a missing flag means false
    return row


def plan_sessions(*, device_id: uuid.UUID, organization_id: uuid.UUID, document: dict, open_sessions: list,
                  at: datetime, now: datetime) -> SessionPlan:
    """``open_sessions``: objects with id, wifi_client_id, interface_name, ssid. New sessions
    start ``at`` (the sample's time); ``now`` is when the rows change."""
    plan = SessionPlan()
    clients = associated_clients(document)
    rows = {}
    for _, _, client in clients:
        rows[client["mac"][:17]] = _client_row(client, organization_id)  # one row per MAC per statement
    plan.clients = list(rows.values())
    open_by_key = {(s.wifi_client_id, s.interface_name, s.ssid): s.id for s in open_sessions}
    still_open: set = set()
    new_sessions: dict = {}
    for interface_name, ssid, client in clients:
        key = (client["mac"][:17], interface_name, ssid)
        if key in open_by_key:
            still_open.add(open_by_key[key])
        elif key not in new_sessions:
            new_sessions[key] = {
                "id": uuid.uuid4(), "device_id": device_id, "wifi_client_id": key[0],
                "interface_name": interface_name, "ssid": ssid, "start_time": at, "modified": now,
            }
    plan.new_sessions = list(new_sessions.values())
    plan.ended_sessions = [session_id for session_id in open_by_key.values() if session_id not in still_open]
    return plan
