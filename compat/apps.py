"""App config for the vendor-compatible APIs: connects the image.done signal handlers (the webhook sweep's
schedule is in settings.CELERY_BEAT_SCHEDULE)."""

from django.apps import AppConfig


class CompatConfig(AppConfig):
    name = "compat"
    label = "compat"  # unchanged since the app lived in dam/: its migrations and tables keep their names
    verbose_name = "Compatible APIs, webhooks and usage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
