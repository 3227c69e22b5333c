"""WiFi clients and sessions derived from device samples (spec api.md §9.1).

Only access-point wireless interfaces count. A client seen on (device, interface, SSID) has
an open session there; a client missing from a later sample has its session closed; a
client that comes back gets a new session (sessions are never reopened).
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from monitoring.models import WifiClient, WifiSession

CLIENT_FLAGS = ("ht", "vht", "he")
CLIENT_BOOLEANS = ("wmm", "wds", "wps")


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


def _client_row(client: dict) -> dict:
    row = {"mac_address": client["mac"][:17], "vendor": client.get("vendor")}
    for name in CLIENT_FLAGS:
        row[name] = client.get(name) if isinstance(client.get(name), bool) else None
    for name in CLIENT_BOOLEANS:
        row[name] = client.get(name) is True  # a missing flag means false
    return row


def update_sessions(session: Session, *, device_id: uuid.UUID, document: dict, now: datetime) -> None:
    clients = associated_clients(document)
    if clients:
        rows = {}
        for _, _, client in clients:
            rows[client["mac"][:17]] = _client_row(client)  # one row per MAC per statement
        statement = insert(WifiClient).values(list(rows.values()))
        session.execute(statement.on_conflict_do_update(
            index_elements=["mac_address"],
            set_={name: statement.excluded[name] for name in ("vendor", *CLIENT_FLAGS, *CLIENT_BOOLEANS)}
            | {"modified": now},
        ))
    open_sessions = {
        (row.wifi_client_id, row.interface_name, row.ssid): row.id
        for row in session.execute(
            select(WifiSession.id, WifiSession.wifi_client_id, WifiSession.interface_name, WifiSession.ssid)
            .where(WifiSession.device_id == device_id, WifiSession.stop_time.is_(None))
        )
    }
    still_open = set()
    new_sessions = {}
    for interface_name, ssid, client in clients:
        key = (client["mac"][:17], interface_name, ssid)
        if key in open_sessions:
            still_open.add(open_sessions[key])
        elif key not in new_sessions:
            new_sessions[key] = {
                "id": uuid.uuid4(), "device_id": device_id, "wifi_client_id": key[0],
                "interface_name": interface_name, "ssid": ssid, "start_time": now, "modified": now,
            }
    if new_sessions:
        session.execute(insert(WifiSession).values(list(new_sessions.values())))
    ended = [session_id for session_id in open_sessions.values() if session_id not in still_open]
    if ended:
        session.execute(
            update(WifiSession).where(WifiSession.id.in_(ended)).values(stop_time=now, modified=now)
        )
