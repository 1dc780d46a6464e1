"""dam.tasks with the real engine: recognize_asset (idempotent, keeps reviews, fails cleanly) and the sweep."""

from __future__ import annotations

import datetime as dt

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
