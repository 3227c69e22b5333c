"""Checks: a device's active checks over the API (``checks``), running them (``runs``,
``fping``), their latest results (``results``), the WiFi clients check's snooze."""
