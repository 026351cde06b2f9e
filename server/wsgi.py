"""WSGI entry point for gunicorn: `gunicorn server.wsgi:app`.

In production (CELERY_BROKER_URL set) the web process never runs background work itself.
"""

from server.app import create_app

app = create_app()
