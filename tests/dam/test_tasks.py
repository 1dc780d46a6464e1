"""dam.tasks with the real engine: recognize_asset (idempotent, keeps reviews, fails cleanly) and the sweep."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from dam import services
from dam.models import Asset
from dam.tasks import recognize_asset, sweep_stuck_assets
from tests.support.synth import blank_photo, plate_photo

from .conftest import png_bytes


def test_task_skips_deleted_and_finished_assets(alice):
    assert recognize_asset.run(999_999) == "deleted"
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    Asset.objects.filter(pk=asset.pk).update(status="done")
    assert recognize_asset.run(asset.pk) == "skipped (done)"


def test_sweep_task(alice, settings):
    settings.PLATELENS_STUCK_AFTER_SECONDS = 1
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    Asset.objects.filter(pk=asset.pk).update(
        status="processing", status_changed_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert sweep_stuck_assets.run()["requeued"] == [asset.pk]


@pytest.mark.slow
def test_recognize_reads_the_plate_and_keeps_corrections_on_rerun(alice):
    asset, _ = services.asset_create(
        owner=alice, data=plate_photo("AB12CDE", seed=1), filename="car.jpg", enqueue=False
    )
    assert recognize_asset.run(asset.pk) == "done"
    asset.refresh_from_db()
    assert asset.status == "done" and asset.model_version and asset.attempts == 1
    reading = asset.readings.get(plate="ab12cde")
    assert reading.box["xmax"] > reading.box["xmin"] and len(reading.polygon) == 4
    services.reading_review(reading=reading, reviewer=alice, status="corrected", corrected_plate="AB12CDF")

    services.asset_reprocess(asset=asset)
    assert recognize_asset.run(asset.pk) == "done"
    asset.refresh_from_db()
    readings = list(asset.readings.all())
    assert [(r.pk, r.effective_plate) for r in readings] == [(reading.pk, "ab12cdf")]  # no duplicate plate
    assert asset.attempts == 1  # reprocess starts the count again


@pytest.mark.slow
def test_recognize_synchronously_returns_the_engine_result(alice):
    asset, _ = services.asset_create(owner=alice, data=plate_photo("XY34ZZZ", seed=2), enqueue=False)
    result = services.asset_recognize(asset=asset).result
    assert result.processing_ms > 0
    assert "xy34zzz" in [r.text for r in result.results]
    empty, _ = services.asset_create(owner=alice, data=blank_photo(), enqueue=False)
    assert services.asset_recognize(asset=empty).result.results == ()
    empty.refresh_from_db()
    assert empty.status == "done" and empty.readings.count() == 0


def test_a_file_missing_on_the_worker_is_retried_not_failed(alice, celery_eager, settings):
    """Issue 11, finding 10: a worker that cannot read the file (shared storage not mounted there yet) retries;
    the asset is never marked failed for good, and its message names the cause, not an errno."""
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    stored = asset.file.path
    hidden = stored + ".away"
    Path(stored).rename(hidden)
    result = recognize_asset.delay(asset.pk)  # eager: the retries run at once
    assert result.get() == "retrying (left to the sweep)"
    asset.refresh_from_db()
    assert asset.status == "pending" and asset.attempts == 0  # storage trouble is not the image's fault
    assert asset.error == "retrying: the stored image could not be read from the media storage"
    Path(hidden).rename(stored)
    # The sweep is the backstop that tries it again once the storage is back.
    Asset.objects.filter(pk=asset.pk).update(status_changed_at=timezone.now() - dt.timedelta(hours=1))
    assert services.assets_sweep_stuck()["requeued"] == [asset.pk]
    assert Asset.objects.get(pk=asset.pk).status == "pending"


def test_a_transient_error_message_names_the_cause(alice):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    Path(asset.file.path).unlink()
    with pytest.raises(Exception):  # noqa: B017 - Celery's Retry, raised by the bound task
        recognize_asset.apply(args=[asset.pk], throw=True)
    asset.refresh_from_db()
    assert asset.status == "pending"
    assert asset.error == "retrying: the stored image could not be read from the media storage"


def test_a_restarted_worker_requeues_what_it_had_claimed(alice, django_capture_on_commit_callbacks):
    """Issue 11, finding 11: no 5-minute wait for the sweep after a worker died mid-task."""
    mine, _ = services.asset_create(owner=alice, data=png_bytes(color=(1, 1, 1)), enqueue=False)
    others, _ = services.asset_create(owner=alice, data=png_bytes(color=(2, 2, 2)), enqueue=False)
    Asset.objects.filter(pk=mine.pk).update(status="processing", claimed_by="w1@host")
    Asset.objects.filter(pk=others.pk).update(status="processing", claimed_by="w2@host")  # still running
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.assets_requeue_claimed(worker="w1@host") == [mine.pk]
    assert len(callbacks) == 1
    assert Asset.objects.get(pk=mine.pk).status == "pending"
    assert Asset.objects.get(pk=others.pk).status == "processing"
    assert services.assets_requeue_claimed(worker="") == []


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("dam.tasks.recognize_asset", "celery"),
        ("dam.tasks.sweep_stuck_assets", "maintenance"),
        ("search.tasks.index_pending", "maintenance"),
        ("dam.compat.tasks.deliver_webhook", "maintenance"),
        ("dam.compat.tasks.requeue_stale_deliveries", "maintenance"),
    ],
)
def test_maintenance_never_waits_behind_recognition(task, queue):
    """Issue 11, finding 11: the sweep, indexing and webhooks have their own queue."""
    from platelens.celery import app

    app.loader.import_default_modules()  # what a worker does at start: every app's tasks module
    assert task in app.tasks
    route = app.amqp.router.route({}, task)["queue"]
    # Its own exchange and key too: a message published for one queue is never delivered to the other.
    assert (route.name, route.exchange.name, route.routing_key) == (queue, queue, queue)


def test_a_retry_before_the_attempt_was_counted_keeps_attempts_at_zero(alice):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    services.asset_mark_retrying(asset=asset, error="the database was busy or unreachable")
    asset.refresh_from_db()
    assert asset.attempts == 0 and asset.status == "pending"
