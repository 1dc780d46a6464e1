"""Indexing is driven from the database through the outbox: receivers, the task, retries while down."""

import pytest
from django.db import transaction

from dam.models import PlateReading
from dam.signals import assets_changed, assets_deleted
from search.backends import get_backend
from search.indexing import process_outbox
from search.models import IndexOutbox
from search.tasks import index_pending
from tests.search import factories as f
from tests.search.behaviour import plates, search
from tests.search.conftest import use_elasticsearch
from tests.search.osmem import OsmemProcess


@pytest.fixture
def alice(db):
    return f.user("alice")


def test_change_recorded_in_the_dam_transaction_and_indexed_after_commit(
    alice, settings, celery_eager, django_capture_on_commit_callbacks
):
    settings.SEARCH_BACKEND = "embedded"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            asset = f.asset(alice, camera_id="gate-1")
            f.reading(asset, "AB1234")
            assets_changed.send(sender=None, asset_ids=[asset.pk])
            assert IndexOutbox.objects.filter(asset_id=asset.pk).count() == 1
            assert plates(search(get_backend(), alice, "AB1234")) == []
    assert len(callbacks) == 1
    assert IndexOutbox.objects.count() == 0
    assert plates(search(get_backend(), alice, "AB1234")) == ["AB1234"]


def test_rolled_back_change_leaves_no_outbox_row(alice, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            asset = f.asset(alice)
            assets_changed.send(sender=None, asset_ids=[asset.pk])
            raise RuntimeError("DAM write failed")
    assert callbacks == []
    assert IndexOutbox.objects.count() == 0


def test_review_and_deletion_follow_the_database(
    alice, settings, celery_eager, django_capture_on_commit_callbacks
):
    settings.SEARCH_BACKEND = "embedded"
    backend = get_backend()
    asset = f.asset(alice)
    reading = f.reading(asset, "HH4321")
    with django_capture_on_commit_callbacks(execute=True):
        assets_changed.send(sender=None, asset_ids=[asset.pk])
    with django_capture_on_commit_callbacks(execute=True):
        PlateReading.objects.filter(pk=reading.pk).update(review_status="corrected", corrected_plate="KT9876")
        assets_changed.send(sender=None, asset_ids=[asset.pk])
    assert plates(search(backend, alice, "KT9876")) == ["KT9876"]
    assert plates(search(backend, alice, "HH4321")) == []
    with django_capture_on_commit_callbacks(execute=True):
        PlateReading.objects.filter(pk=reading.pk).update(review_status="rejected")
        assets_changed.send(sender=None, asset_ids=[asset.pk])
    assert search(backend, alice).total == 0
    with django_capture_on_commit_callbacks(execute=True):
        PlateReading.objects.filter(pk=reading.pk).update(review_status="approved")
        assets_changed.send(sender=None, asset_ids=[asset.pk])
    assert plates(search(backend, alice, "HH4321")) == ["HH4321"]
    with django_capture_on_commit_callbacks(execute=True):
        assets_deleted.send(sender=None, asset_ids=[asset.pk])
        asset.delete()
    assert search(backend, alice).total == 0
    assert IndexOutbox.objects.count() == 0


def test_broker_outage_does_not_fail_the_dam_write(
    alice, settings, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(index_pending, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        asset = f.asset(alice)
        assets_changed.send(sender=None, asset_ids=[asset.pk])
    assert IndexOutbox.objects.filter(asset_id=asset.pk).exists()  # the periodic run picks it up


def test_search_server_down_loses_nothing(alice, settings, celery_eager, django_capture_on_commit_callbacks):
    """Stop the server, change readings, restart it: the recorded change is retried and found."""
    server = OsmemProcess().start()
    try:
        use_elasticsearch(settings, server.url)
        backend = get_backend()
        first = f.asset(alice, camera_id="gate-1")
        f.reading(first, "AB1234")
        with django_capture_on_commit_callbacks(execute=True):
            assets_changed.send(sender=None, asset_ids=[first.pk])
        backend.refresh()
        assert plates(search(backend, alice, "AB1234")) == ["AB1234"]

        server.stop()
        with django_capture_on_commit_callbacks(execute=True):  # the DAM write itself succeeds
            second = f.asset(alice, camera_id="gate-2")
            f.reading(second, "CD5678")
            PlateReading.objects.filter(asset=first).update(
                review_status="corrected", corrected_plate="AB1239"
            )
            assets_changed.send(sender=None, asset_ids=[first.pk, second.pk])
        pending = list(IndexOutbox.objects.order_by("asset_id"))
        assert [row.asset_id for row in pending] == [first.pk, second.pk]
        assert all(row.attempts == 1 and row.last_error for row in pending)
        assert all(row.next_attempt_at > row.created for row in pending)  # backoff before the next try
        assert process_outbox().indexed_assets == 0  # not due yet

        server.start()  # in-memory server: it comes back empty, the next write recreates index and alias
        index_pending.apply(kwargs={"due_only": False})
        backend.refresh()
        assert IndexOutbox.objects.count() == 0
        assert plates(search(backend, alice, "CD5678")) == ["CD5678"]
        assert plates(search(backend, alice, "AB1239")) == ["AB1239"]
        assert plates(search(backend, alice, "AB1234")) == ["AB1239"]  # fuzzy tier, the corrected text
    finally:
        server.stop()


def test_index_pending_runs_on_beat(settings):
    from platelens.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["search-index-pending"]
    assert entry["task"] == index_pending.name
    assert app.conf.beat_schedule["search-index-pending"]["task"] == index_pending.name
