"""Indexing is driven from the database through the outbox: receivers, the task, retries while down."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from dam.models import PlateReading
from dam.signals import assets_changed, assets_deleted
from search import indexing
from search.backends import get_backend
from search.indexing import QUEUED_STALE, RUN_AT_MOST_EVERY, process_outbox
from search.models import IndexOutbox, IndexRun
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

    monkeypatch.setattr(index_pending, "apply_async", broker_down)
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


@pytest.fixture
def queued(monkeypatch):
    """index_pending messages sent, as their countdowns (nothing runs until the test runs one)."""
    sent: list[float | None] = []
    monkeypatch.setattr(index_pending, "apply_async", lambda countdown=None, **kw: sent.append(countdown))
    return sent


def change(asset, capture) -> None:
    """One committed DAM write of `asset` (its own transaction, on-commit callbacks run)."""
    with capture(execute=True):
        assets_changed.send(sender=None, asset_ids=[asset.pk])


def test_commits_share_one_queued_index_task_until_it_starts(
    alice, settings, queued, django_capture_on_commit_callbacks
):
    settings.SEARCH_BACKEND = "embedded"
    assets = [f.asset(alice) for _ in range(3)]
    for asset, plate in zip(assets, ["AB1234", "CD5678", "EF9012"], strict=True):
        f.reading(asset, plate)
        change(asset, django_capture_on_commit_callbacks)
    assert queued == [None]  # one task, sent at once (none ran lately)
    assert index_pending.apply().get() == {"indexed_assets": 3, "failed_assets": 0}
    assert sorted(plates(search(get_backend(), alice))) == ["AB1234", "CD5678", "EF9012"]

    change(assets[0], django_capture_on_commit_callbacks)  # after the start: a task of its own
    change(assets[1], django_capture_on_commit_callbacks)
    assert len(queued) == 2
    assert 0 < queued[1] <= RUN_AT_MOST_EVERY.total_seconds()  # spaced after the run that just started
    assert index_pending.apply().get()["indexed_assets"] == 2


@pytest.mark.parametrize("when", ["after its first read", "after its last read"])
def test_change_committed_while_the_task_runs_is_indexed_by_it_or_the_next(
    when, alice, settings, queued, django_capture_on_commit_callbacks, monkeypatch
):
    """The race: the running task may already have read the outbox, so a commit during the run queues another
    task (never left to the 30 s beat); the running task's loop takes it if it reads the outbox again."""
    settings.SEARCH_BACKEND = "embedded"
    first, second = f.asset(alice), f.asset(alice)
    f.reading(first, "AB1234")
    f.reading(second, "CD5678")
    change(first, django_capture_on_commit_callbacks)
    assert len(queued) == 1
    read_outbox = indexing._claim
    committed = []

    def read_then_commit(limit, due_only):
        claimed = read_outbox(limit, due_only)
        if not committed and bool(claimed) == (when == "after its first read"):
            committed.append(second.pk)
            change(second, django_capture_on_commit_callbacks)
        return claimed

    monkeypatch.setattr(indexing, "_claim", read_then_commit)
    index_pending.apply()
    monkeypatch.setattr(indexing, "_claim", read_outbox)
    assert committed == [second.pk]
    assert len(queued) == 2  # the commit during the run queued the next task
    if when == "after its last read":
        assert list(IndexOutbox.objects.values_list("asset_id", flat=True)) == [second.pk]
        index_pending.apply()  # the task that commit queued
    assert sorted(plates(search(get_backend(), alice))) == ["AB1234", "CD5678"]
    assert IndexOutbox.objects.count() == 0


def test_a_lost_queued_task_is_taken_over(alice, queued, django_capture_on_commit_callbacks):
    asset = f.asset(alice)
    change(asset, django_capture_on_commit_callbacks)
    change(asset, django_capture_on_commit_callbacks)
    assert len(queued) == 1
    IndexRun.objects.update(queued_at=timezone.now() - QUEUED_STALE - timedelta(seconds=1))  # message lost
    change(asset, django_capture_on_commit_callbacks)
    assert len(queued) == 2


def test_a_task_the_broker_refused_does_not_block_the_next_commit(
    alice, monkeypatch, queued, django_capture_on_commit_callbacks
):
    asset = f.asset(alice)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(index_pending, "apply_async", broker_down)
        change(asset, django_capture_on_commit_callbacks)
    change(asset, django_capture_on_commit_callbacks)  # the broker is back: this commit queues it
    assert len(queued) == 1
