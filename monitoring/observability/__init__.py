"""Running the service in production: Prometheus metrics, structured logs, request ids.

Kept free of imports on purpose: gunicorn's master process loads ``log_format`` from here
to format its own log lines, and must not import ``prometheus_client`` before
``PROMETHEUS_MULTIPROC_DIR`` is set (the client chooses its storage once, at import time).
"""
