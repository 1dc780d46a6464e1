"""App config for plate search."""

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Plate search"
    default_auto_field = "django.db.models.BigAutoField"
