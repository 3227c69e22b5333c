"""Business rules, one module per concern. Functions take keyword arguments and know
nothing about HTTP beyond raising the errors of ``monitoring.errors``."""
