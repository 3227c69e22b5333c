from marshmallow import fields

from schemas.common import BaseSchema
from schemas.filters import QueryBoolean


class DeviceDataArgsSchema(BaseSchema):
    """Query parameters of a device sample POST. Kept as strings: their errors are reported
    after the body's, in the reference's order."""

    key = fields.String(metadata={"description": "the device's key (required)"})
    time = fields.String(
        metadata={"description": "sample time in UTC, `DD-MM-YYYY_HH:MM:SS.ffffff` "
                  "(e.g. `21-08-2024_14:03:05.123456`); default: now"}
    )
    current = QueryBoolean(
        metadata={"description": "`true`: this sample is the device's current status even if "
                  "its `time` is older than the stored one"}
    )

    # The key decides first: a key with a NUL is a wrong key (403), not a 400 to a caller
    # without access. None of these strings is stored; a ``time`` with a NUL is a bad format.
    accepts_nul_characters = True


# The body is validated against the full NetJSON DeviceMonitoring JSON Schema in
# monitoring/netjson.py; the OpenAPI document shows its outline.
DEVICE_MONITORING_BODY = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"type": "string", "enum": ["DeviceMonitoring"]},
        "general": {"type": "object"},
        "resources": {"type": "object"},
        "interfaces": {"type": "array", "items": {"type": "object"}},
        "dhcp_leases": {"type": "array", "items": {"type": "object"}},
        "neighbors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
    "example": {
        "type": "DeviceMonitoring",
        "general": {"hostname": "ap-lobby", "local_time": 1714644931, "uptime": 86400},
        "resources": {
            "load": [0.12, 0.1, 0.05], "cpus": 1,
            "memory": {"total": 249774080, "free": 224497664, "buffered": 974848, "shared": 102400},
            "disk": [{"mount_point": "/", "filesystem": "overlay", "used_bytes": 18792,
                      "available_bytes": 11204, "used_percent": 63, "size_bytes": 29996}],
        },
        "interfaces": [{"name": "eth0", "type": "ethernet",
                        "statistics": {"rx_bytes": 1200000, "tx_bytes": 800000}}],
    },
}
