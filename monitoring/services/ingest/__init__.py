"""Ingest: a device's sample received, validated and stored (``samples``), the points it
produces (``points``) and what it does to WiFi sessions (``session_plan``)."""
