"""App config for the vendor-compatible APIs."""

from django.apps import AppConfig


class CompatConfig(AppConfig):
    name = "dam.compat"
    label = "compat"
    verbose_name = "Compatible APIs, webhooks and usage"
    default_auto_field = "django.db.models.BigAutoField"
