"""Authentication methods as declared in the OpenAPI document."""
from __future__ import annotations

SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /api/v1/users/token/, sent as `Authorization: Bearer <token>`.",
    },
    "deviceKey": {
        "type": "apiKey",
        "in": "query",
        "name": "key",
        "description": "The device's key; accepted by the device data endpoints only.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "Browser session from /api/v1/auth/login/ (unsafe methods need X-CSRFToken).",
    },
}

USER_AUTH = [{"bearerAuth": []}, {"sessionCookie": []}]
DEVICE_AUTH = [{"deviceKey": []}]


def register(api) -> None:
    for name, scheme in SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
