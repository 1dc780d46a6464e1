"""Search follows the real DAM services (they send assets_changed / assets_deleted in their transactions)."""

import pytest

from dam import services
from search.backends import get_backend
from search.models import IndexOutbox
from tests.search import factories as f
from tests.search.behaviour import plates, search
from tests.support.engine import recognition


@pytest.fixture
def setup(db, settings, celery_eager):
    settings.SEARCH_BACKEND = "embedded"
    return get_backend(), f.user("alice")


def result(*plates_: str):
    boxes = [
        {"xmin": 10 + 200 * i, "ymin": 10, "xmax": 150 + 200 * i, "ymax": 50} for i in range(len(plates_))
    ]
    return recognition(*plates_, boxes=boxes, region="de", processing_ms=12.0)


def test_recording_reviewing_editing_and_deleting(setup, django_capture_on_commit_callbacks):
    backend, alice = setup
    asset = f.asset(alice, camera_id="gate-1")
    with django_capture_on_commit_callbacks(execute=True):
        services.readings_record(asset=asset, result=result("ab1234", "cd5678"), model_version="test")
    assert set(plates(search(backend, alice, "AB12"))) == {"ab1234"}
    assert search(backend, alice, "cd5678").hits[0].document.box["xmin"] == 210

    reading = asset.readings.get(plate="cd5678")
    with django_capture_on_commit_callbacks(execute=True):
        services.reading_review(reading=reading, reviewer=alice, status="corrected", corrected_plate="CD5679")
    assert plates(search(backend, alice, "CD5679")) == ["cd5679"]
    assert search(backend, alice, "CD5679").hits[0].tier.label == "exact"

    with django_capture_on_commit_callbacks(execute=True):
        services.asset_update(asset=asset, camera_id="gate-9")
    assert search(backend, alice, camera_id="gate-9").total == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.asset_delete(asset=asset)
    assert search(backend, alice).total == 0
    assert IndexOutbox.objects.count() == 0


def test_a_correction_typed_with_a_slash_is_stored_and_found_as_searched(
    setup, django_capture_on_commit_callbacks
):
    """One normaliser: the DAM stores `ab/12` as `ab12`, which is what search looks for."""
    backend, alice = setup
    asset = f.asset(alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.readings_record(asset=asset, result=result("xx9999"), model_version="test")
    reading = asset.readings.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.reading_review(reading=reading, reviewer=alice, status="corrected", corrected_plate="ab/12")
    reading.refresh_from_db()
    assert reading.corrected_plate == "ab12"
    for query in ("AB12", "ab/12", "ab-12"):
        assert plates(search(backend, alice, query)) == ["ab12"]
