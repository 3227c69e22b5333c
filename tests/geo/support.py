"""Helpers shared by the nearby-devices, map and WiFi session tests."""
from __future__ import annotations

import json

from monitoring.extensions import db
from monitoring.models import Device, DeviceLocation, FloorPlan, Location

NOT_MANAGER = "User is not a manager of the organization to which the requested resource belongs."
NOT_AUTHENTICATED = "Authentication credentials were not provided."
INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."


def place(device: Device, location: Location, *, floorplan: FloorPlan | None = None,
          indoor: str | None = None) -> DeviceLocation:
    """Put ``device`` at ``location`` (as PUT /controller/device/{id}/location/ does)."""
    device_location = DeviceLocation(device_id=device.id, location_id=location.id,
                                     floorplan_id=floorplan.id if floorplan else None, indoor=indoor)
    db.session.add(device_location)
    db.session.commit()
    return device_location


def set_status(device: Device, status: str) -> None:
    device.monitoring.status = status
    db.session.commit()


def floorplan(location: Location, floor: int, **fields) -> FloorPlan:
    plan = FloorPlan(organization_id=location.organization_id, location_id=location.id, floor=floor, **fields)
    db.session.add(plan)
    db.session.commit()
    return plan


def wifi_client(mac: str, **flags) -> dict:
    return {"mac": mac, "auth": True, "authorized": True, "ht": True, "vht": False, "wmm": True, "mfp": False,
            **flags}


def access_point(name: str, clients: list[dict], *, ssid: str = "testnet", htmode: str = "HT20",
                 mode: str = "access_point") -> dict:
    return {"name": name, "type": "wireless", "wireless": {
        "channel": 1, "country": "US", "frequency": 2412, "mode": mode, "noise": -95, "ssid": ssid,
        "tx_power": 20, "htmode": htmode, "clients": clients,
    }}


def send_sample(client, device: Device, *interfaces: dict) -> None:
    """A device POST (the only way sessions and snapshots come to be)."""
    response = client.post(
        f"/api/v1/monitoring/device/{device.id}/?key={device.key}",
        data=json.dumps({"type": "DeviceMonitoring", "interfaces": list(interfaces)}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
