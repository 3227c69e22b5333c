"""Demo data: a simulated network (``network``) seeded through the ingest path (``seed``)."""
