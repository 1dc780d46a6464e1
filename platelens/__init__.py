"""platelens: Django project configuration (settings, URLs, Celery app) and what every app's API shares
(errors.py: the error type and handler; edge.py: throttle, body size, base64)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
__version__ = "0.1.0"
