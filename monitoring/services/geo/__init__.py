"""Geo: devices near a device (``nearby_devices``), the monitoring map (``map_data``), the WiFi
session history (``wifi_sessions``)."""
