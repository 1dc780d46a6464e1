"""App config for the vendor-compatible APIs: registers the webhook sweep with beat and the image.done
signal handlers."""

from django.apps import AppConfig
from django.conf import settings


class CompatConfig(AppConfig):
    name = "compat"
    label = "compat"
    verbose_name = "Compatible APIs, webhooks and usage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        schedule = {
            "compat-requeue-stale-webhook-deliveries": {
                "task": "dam.compat.tasks.requeue_stale_deliveries",
                "schedule": 300.0,
            }
        }
        settings.CELERY_BEAT_SCHEDULE.update(schedule)
        from platelens.celery import app

        app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), **schedule}

        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
