"""WSGI entry point: ``gunicorn wsgi:app``."""
from booking import create_app

app = create_app()
