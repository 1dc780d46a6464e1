"""dam.services: creating assets from bytes, recording readings, reviews, deletes, reprocess, sweep."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from dam import services
from dam.models import Asset, PlateReading
from dam.signals import assets_changed, assets_deleted
from platelens.errors import ServiceError
from plates.base import BoundingBox
from tests.support.engine import recognition
from tests.support.synth import corrupt_bytes

from .conftest import png_bytes, recognitions


@pytest.fixture
def signals_log():
    log: list[tuple[str, list[int]]] = []

    def changed(sender, asset_ids, **kwargs):
        log.append(("changed", list(asset_ids)))

    def deleted(sender, asset_ids, **kwargs):
        log.append(("deleted", list(asset_ids)))

    assets_changed.connect(changed, weak=False)
    assets_deleted.connect(deleted, weak=False)
    yield log
    assets_changed.disconnect(changed)
    assets_deleted.disconnect(deleted)


def test_create_stores_facts_sniffed_from_the_bytes(alice, media_root):
    data = png_bytes(size=(80, 50))
    asset, created = services.asset_create(
        owner=alice, data=data, filename="dir/photo.jpg", camera_id=" cam-1 "
    )
    assert created
    assert asset.content_type == "image/png"  # from the bytes, not the .jpg name
    assert (asset.width, asset.height, asset.size) == (80, 50, len(data))
    assert asset.original_filename == "photo.jpg"
    assert asset.camera_id == "cam-1"
    assert asset.status == Asset.Status.PENDING
    assert asset.request_uuid.version == 4
    assert asset.file.name.endswith(f"{asset.sha1}.png")
    assert Path(media_root, asset.file.name).read_bytes() == data


def test_same_bytes_same_owner_return_the_existing_asset(alice, bob, django_capture_on_commit_callbacks):
    data = png_bytes()
    with django_capture_on_commit_callbacks() as first:
        asset, created = services.asset_create(owner=alice, data=data)
    with django_capture_on_commit_callbacks() as second:
        again, created_again = services.asset_create(owner=alice, data=data)
    assert created and not created_again
    assert again.pk == asset.pk
    assert recognitions(first) == 1 and recognitions(second) == 0  # no second recognition queued
    assert Asset.objects.count() == 1
    theirs, created_for_bob = services.asset_create(owner=bob, data=data)
    assert created_for_bob and theirs.pk != asset.pk


def test_enqueue_false_queues_nothing(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    assert recognitions(callbacks) == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (corrupt_bytes("empty"), "empty_image"),
        (corrupt_bytes("text"), "not_an_image"),
        (corrupt_bytes("truncated"), "truncated_image"),
        (corrupt_bytes("bomb"), "image_too_large"),
    ],
)
def test_bad_bytes_are_refused_with_the_engine_code(alice, data, code):
    with pytest.raises(ServiceError) as info:
        services.asset_create(owner=alice, data=data)
    assert (info.value.code, info.value.status) == (code, 400)
    assert Asset.objects.count() == 0


def test_size_and_megapixel_limits(alice, settings):
    settings.PLATELENS_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ServiceError) as info:
        services.asset_create(owner=alice, data=png_bytes(size=(300, 300), color=(1, 2, 3), fmt="BMP"))
    assert (info.value.code, info.value.status) == ("file_too_large", 413)
    settings.PLATELENS_MAX_UPLOAD_BYTES = 10_000_000
    settings.PLATELENS_MAX_MEGAPIXELS = 0.001
    with pytest.raises(ServiceError) as info:
        services.asset_create(owner=alice, data=png_bytes(size=(100, 100)))
    assert info.value.code == "image_too_large"


def test_timestamp_accepts_iso_text_and_rejects_junk(alice):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), timestamp="2026-05-01T10:00:00")
    assert asset.timestamp == dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
    with pytest.raises(ServiceError) as info:
        services.asset_create(owner=alice, data=png_bytes(color=(9, 9, 9)), timestamp="yesterday")
    assert info.value.code == "invalid_timestamp"


def test_readings_record_replaces_model_readings_and_keeps_reviews(alice, signals_log):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    services.readings_record(asset=asset, result=recognition("ab12cde", "xy99zzz"), model_version="v1")
    first, second = asset.readings.all()
    services.reading_review(reading=first, reviewer=alice, status="corrected", corrected_plate="AB12 CDF")
    services.reading_review(reading=second, reviewer=alice, status="rejected")
    # The model now reads the first plate differently, misses the second and finds a third.
    result = recognition(
        "ab12cdx", "new111", boxes=[first.box, {"xmin": 500, "ymin": 10, "xmax": 580, "ymax": 30}]
    )
    services.readings_record(asset=asset, result=result, model_version="v2")
    readings = {r.pk: r for r in asset.readings.all()}
    assert readings[first.pk].corrected_plate == "ab12cdf"
    assert readings[first.pk].review_status == "corrected"
    assert readings[second.pk].review_status == "rejected"
    new = [r for r in readings.values() if r.pk not in (first.pk, second.pk)]
    assert [(r.plate, r.model_version) for r in new] == [("new111", "v2")]
    asset.refresh_from_db()
    assert asset.status == "done" and asset.model_version == "v2" and asset.processing_time_ms == 12.5
    assert ("changed", [asset.pk]) in signals_log
    # Idempotent: the same result again changes nothing.
    services.readings_record(asset=asset, result=result, model_version="v2")
    assert sorted(asset.readings.values_list("plate", flat=True)) == sorted(
        r.plate for r in readings.values()
    )


def test_review_rules(alice):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    services.readings_record(asset=asset, result=recognition("ab12cde"), model_version="v1")
    reading = asset.readings.get()
    with pytest.raises(ServiceError) as info:
        services.reading_review(reading=reading, reviewer=alice, status="corrected")
    assert info.value.code == "corrected_plate_required"
    with pytest.raises(ServiceError):
        services.reading_review(reading=reading, reviewer=alice, status="maybe")
    reading = services.reading_review(
        reading=reading, reviewer=alice, status="approved", corrected_plate="zz"
    )
    assert (reading.review_status, reading.corrected_plate, reading.reviewer) == ("approved", "", alice)
    assert reading.reviewed_at is not None
    reading = services.reading_review(reading=reading, reviewer=alice, status="unreviewed")
    assert reading.reviewer is None and reading.reviewed_at is None


def test_delete_sends_signal_first_and_removes_file_after_commit(
    alice, media_root, signals_log, django_capture_on_commit_callbacks
):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    services.readings_record(asset=asset, result=recognition("ab12cde"), model_version="v1")
    path = Path(media_root, asset.file.name)
    asset_id = asset.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_delete(asset=asset)
    assert ("deleted", [asset_id]) in signals_log
    assert not Asset.objects.filter(pk=asset_id).exists()
    assert not PlateReading.objects.filter(asset_id=asset_id).exists()
    assert not path.exists()


def test_reprocess_resets_and_queues(alice, django_capture_on_commit_callbacks):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    services.readings_record(asset=asset, result=recognition("ab12cde"), model_version="v1")
    with django_capture_on_commit_callbacks() as callbacks:
        services.asset_reprocess(asset=asset)
    assert asset.status == "pending" and recognitions(callbacks) == 1
    assert asset.readings.count() == 1  # kept until the new result replaces them


def test_sweep_requeues_stuck_and_gives_up_after_max_attempts(
    alice, settings, django_capture_on_commit_callbacks
):
    settings.PLATELENS_STUCK_AFTER_SECONDS = 60
    settings.PLATELENS_MAX_ATTEMPTS = 2
    old = timezone.now() - dt.timedelta(minutes=5)
    stuck, _ = services.asset_create(owner=alice, data=png_bytes(color=(1, 1, 1)), enqueue=False)
    poison, _ = services.asset_create(owner=alice, data=png_bytes(color=(2, 2, 2)), enqueue=False)
    fresh, _ = services.asset_create(owner=alice, data=png_bytes(color=(3, 3, 3)), enqueue=False)
    lost, _ = services.asset_create(owner=alice, data=png_bytes(color=(4, 4, 4)), enqueue=False)
    Asset.objects.filter(pk=stuck.pk).update(status="processing", status_changed_at=old, attempts=1)
    Asset.objects.filter(pk=poison.pk).update(status="processing", status_changed_at=old, attempts=2)
    Asset.objects.filter(pk=fresh.pk).update(status="processing", attempts=1)
    Asset.objects.filter(pk=lost.pk).update(status_changed_at=old)
    with django_capture_on_commit_callbacks() as callbacks:
        outcome = services.assets_sweep_stuck()
    assert sorted(outcome["requeued"]) == sorted([stuck.pk, lost.pk])
    assert outcome["failed"] == [poison.pk]
    assert recognitions(callbacks) == 2
    statuses = dict(Asset.objects.values_list("pk", "status"))
    assert statuses == {stuck.pk: "pending", poison.pk: "failed", fresh.pk: "processing", lost.pk: "pending"}


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ({"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4}, BoundingBox(1, 2, 3, 4)),
        ({}, None),  # a stored reading without a box
        ({"xmin": None, "ymin": 0, "xmax": 1, "ymax": 1}, None),
    ],
)
def test_stored_box_json_becomes_a_bounding_box(box, expected):
    assert PlateReading(box=box).bounding_box == expected


@pytest.mark.parametrize(
    ("plate_region", "regions", "kept"),
    [
        ("us-ca", ["us"], True),  # a state's plate is a plate of its country
        ("us-ca", ["us-ca"], True),
        ("us", ["us-ny"], True),  # a country-level reading passes a request for one of its states
        ("us-ca", ["us-ny"], False),  # another state's plate does not (a us hint reads every state)
        ("us-ca", ["gb", "us-ca"], True),
        ("gb", ["US-CA"], False),
        ("fr", ["fr", "gb"], True),
    ],
)
def test_strict_regions_keep_a_country_and_its_states(plate_region, regions, kept):
    result = services._regions_only(recognition("abc1234", region=plate_region), regions)
    assert bool(result.results) is kept
