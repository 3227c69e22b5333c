"""WSGI entry point: ``gunicorn wsgi:app``."""
from monitoring import create_app

app = create_app()
