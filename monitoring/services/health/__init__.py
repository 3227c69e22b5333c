"""Health: metric health flags and device status rules (``judging``), the device list with
status and a device's metrics (``status``), status resets, alert settings."""
