"""Business rules, one package per domain (accounts, inventory, ingest, health, checks,
charts, geo, notifications, demo); ``common`` and ``filter_choices`` serve them all.
Functions take keyword arguments and know nothing about HTTP beyond raising the errors of
``monitoring.errors``: they never read the request (tests/test_layers.py)."""
