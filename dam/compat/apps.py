"""App config for the vendor-compatible APIs: registers the webhook sweep with beat, and image.done for
uploads the DAM worker recognizes."""

from django.apps import AppConfig
from django.conf import settings


class CompatConfig(AppConfig):
    name = "dam.compat"
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

        from celery.signals import task_success

        from .webhooks import on_dam_task_success

        task_success.connect(on_dam_task_success, dispatch_uid="compat-image-done-after-dam-task")
