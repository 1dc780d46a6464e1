"""`manage.py search_reindex` rebuilds the index from the database and prints DB vs index counts."""

from io import StringIO

import pytest
from django.core.management import call_command

from search.backends import get_backend
from search.models import PlateIndexEntry
from tests.search.behaviour import plates, search
from tests.search.conftest import use_elasticsearch


@pytest.fixture
def backend(db, settings):
    settings.SEARCH_BACKEND = "embedded"
    return get_backend()


def _reindex() -> str:
    out, err = StringIO(), StringIO()
    call_command("search_reindex", stdout=out, stderr=err)
    return out.getvalue()


def test_reindex_embedded_restores_a_lost_index(backend, world):
    PlateIndexEntry.objects.all().delete()
    assert search(backend, world.alice, "AB1234").total == 0
    output = _reindex()
    assert "database: 10 searchable readings | indexed now: 10 | index holds: 10" in output
    assert plates(search(backend, world.alice, "AB1234"))[0] == "AB-1234"


def test_reindex_elasticsearch(db, settings, osmem):
    use_elasticsearch(settings, osmem.url)
    from tests.search import factories as f

    alice = f.user("alice")
    for n in range(30):
        f.reading(f.asset(alice), f"RX{n:04d}")
    output = _reindex()
    assert "database: 30 searchable readings | indexed now: 30 | index holds: 30" in output
    assert plates(search(get_backend(), alice, "RX0007"))[0] == "RX0007"
    assert plates(search(get_backend(), alice, "R?0007")) == ["RX0007"]


def test_changes_during_an_elasticsearch_rebuild_reach_the_new_index(db, settings, osmem, monkeypatch):
    """A worker indexes a change into the old index while the rebuild streams: it is replayed afterwards."""
    from dam.models import PlateReading
    from search import indexing
    from search.indexing import process_outbox, record_changes
    from search.models import IndexOutbox
    from tests.search import factories as f

    use_elasticsearch(settings, osmem.url)
    alice = f.user("alice")
    readings = [f.reading(f.asset(alice), f"RB{n:04d}") for n in range(5)]
    changed = readings[-1]
    real_documents = indexing.all_documents

    def documents_with_a_concurrent_change():
        for document in real_documents():
            yield document
            if document.reading_id == changed.pk:  # the rebuild has read it: now a worker changes it
                PlateReading.objects.filter(pk=changed.pk).update(
                    review_status="corrected", corrected_plate="ZZ9999"
                )
                record_changes([changed.asset_id])
                assert process_outbox().indexed_assets == 1  # the worker wrote the old index
                assert IndexOutbox.objects.filter(asset_id=changed.asset_id).exists()  # parked, not deleted

    monkeypatch.setattr(indexing, "all_documents", documents_with_a_concurrent_change)
    output = _reindex()
    assert "changed meanwhile and replayed: 1 assets | outbox pending: 0" in output
    assert plates(search(get_backend(), alice, "ZZ9999")) == ["ZZ9999"]
    assert "RB0004" not in plates(search(get_backend(), alice, "RB0004"))
