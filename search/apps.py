"""App config for plate search: signal receivers, the SQLite functions, the periodic outbox retry."""

from django.apps import AppConfig

INDEX_PENDING_EVERY_SECONDS = 30.0


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Plate search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.backends.signals import connection_created

        from dam.signals import assets_changed, assets_deleted
        from search.backends.embedded import register_sqlite_functions
        from search.indexing import on_assets_changed, on_assets_deleted

        assets_changed.connect(on_assets_changed, dispatch_uid="search.on_assets_changed")
        assets_deleted.connect(on_assets_deleted, dispatch_uid="search.on_assets_deleted")
        connection_created.connect(register_sqlite_functions, dispatch_uid="search.sqlite_functions")
        schedule = {
            "search-index-pending": {
                "task": "search.tasks.index_pending",
                "schedule": INDEX_PENDING_EVERY_SECONDS,
            }
        }
        settings.CELERY_BEAT_SCHEDULE.update(schedule)
        from platelens.celery import app

        app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), **schedule}
