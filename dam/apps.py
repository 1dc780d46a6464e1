"""App config for the digital-asset-management app (its periodic tasks are in settings.CELERY_BEAT_SCHEDULE)."""

from django.apps import AppConfig


class DamConfig(AppConfig):
    name = "dam"
    verbose_name = "Assets and plate readings"
    default_auto_field = "django.db.models.BigAutoField"
