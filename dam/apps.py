"""App config for the digital-asset-management app: registers its periodic tasks with beat."""

from django.apps import AppConfig
from django.conf import settings


class DamConfig(AppConfig):
    name = "dam"
    verbose_name = "Assets and plate readings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        schedule = {
            "dam-sweep-stuck-assets": {
                "task": "dam.tasks.sweep_stuck_assets",
                "schedule": float(settings.PLATELENS_SWEEP_INTERVAL_SECONDS),
            }
        }
        settings.CELERY_BEAT_SCHEDULE.update(schedule)
        from platelens.celery import app

        app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), **schedule}
