"""The beat schedule, declared once in settings, names tasks that exist."""

from django.conf import settings

from platelens.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    assert set(settings.CELERY_BEAT_SCHEDULE) == {
        "dam-sweep-stuck-assets",
        "search-index-pending",
        "compat-requeue-stale-webhook-deliveries",
    }
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE
