"""App config for plate search: signal receivers and the SQLite functions (the periodic outbox retry is in
settings.CELERY_BEAT_SCHEDULE)."""

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Plate search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from dam.signals import assets_changed, assets_deleted
        from search.backends.embedded import register_sqlite_functions
        from search.indexing import on_assets_changed, on_assets_deleted

        assets_changed.connect(on_assets_changed, dispatch_uid="search.on_assets_changed")
        assets_deleted.connect(on_assets_deleted, dispatch_uid="search.on_assets_deleted")
        connection_created.connect(register_sqlite_functions, dispatch_uid="search.sqlite_functions")
