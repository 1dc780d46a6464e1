"""A damaged embedded index (FTS5 pages overwritten with garbage): searches answer 503 JSON, browsing keeps
working, index writes wait in the outbox, and a rebuild from the database (queued by itself, or
`manage.py search_reindex`) repairs it."""

import random
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from dam.models import PlateReading
from search import tasks
from search.backends import get_backend
from search.documents import all_documents
from search.indexing import REPAIR_REQUESTED, process_outbox, record_changes
from search.models import IndexOutbox


@pytest.fixture
def backend(db, settings):
    if connection.vendor != "sqlite":
        pytest.skip("damages SQLite FTS5 pages")
    settings.SEARCH_BACKEND = "embedded"
    cache.delete(REPAIR_REQUESTED)
    yield get_backend()
    cache.delete(REPAIR_REQUESTED)


def damage_the_index(seed: int = 7) -> None:
    """Overwrite every FTS5 record (structure included) with garbage; the seed makes the garbage repeatable
    (depending on the bytes, SQLite reports the damage as malformed, unopenable or out of memory)."""
    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, length(block) FROM search_plate_fts_data")
        for record, size in cursor.fetchall():
            garbage = bytes(rng.getrandbits(8) for _ in range(size or 0))
            cursor.execute("UPDATE search_plate_fts_data SET block = %s WHERE id = %s", [garbage, record])


def api(user, **params):
    client = APIClient()
    client.force_authenticate(user)
    return client.get("/api/search/", params)


def test_damaged_index_answers_503_until_search_reindex_rebuilds_it(backend, world, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.repair_index, "delay", lambda: queued.append(True))
    damage_the_index()

    response = api(world.alice, q="AB12")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "search_unavailable"
    assert api(world.alice, q="*B12*").status_code == 503  # trigram LIKE
    assert queued == [True]  # one repair queued, not one per request
    browse = api(world.alice)  # counts and the time index: no trigram table involved
    assert browse.status_code == 200 and browse.json()["count"] == 9

    page = APIClient()
    page.force_login(world.alice)
    assert page.get("/search/", {"q": "AB12"}).status_code == 503

    # A change indexed meanwhile fails on the damaged table, keeps its outbox row and reaches the rebuilt index.
    reading = world.readings["fuzzy"]
    PlateReading.objects.filter(pk=reading.pk).update(review_status="corrected", corrected_plate="ZX9911")
    record_changes([reading.asset_id])
    assert process_outbox(due_only=False).failed_assets == 1
    assert "damaged" in IndexOutbox.objects.get().last_error
    assert queued == [True]  # already queued by the search

    out = StringIO()
    call_command("search_reindex", "--no-progress", stdout=out, stderr=StringIO())
    assert "index holds: 10 | changed meanwhile and replayed: 1 assets | outbox pending: 0" in out.getvalue()
    body = api(world.alice, q="AB12").json()
    assert body["count"] == 4 and body["count_relation"] == "eq"
    assert [r["plate"] for r in api(world.alice, q="ZX9911").json()["results"]] == ["ZX9911"]


def test_damaged_index_repairs_itself(backend, world, celery_eager):
    damage_the_index()
    assert api(world.alice, q="AB12").status_code == 503  # the repair task was queued (and ran, eagerly)
    response = api(world.alice, q="AB12")
    assert response.status_code == 200
    assert response.json()["count"] == 5
    assert cache.get(REPAIR_REQUESTED) is None  # a later damage queues a repair again


@pytest.mark.django_db(transaction=True)
def test_any_garbage_gives_503_and_a_rebuild_repairs_it(backend, world, monkeypatch):
    """Random garbage, many times: SQLite reports it as malformed, as a table it cannot open, or as out of
    memory (rarely); every one is a 503, never a 500, and the rebuild repairs it.

    Committed data, as in production, where a search runs in autocommit: when a statement runs out of memory,
    even a read, SQLite rolls back the whole open transaction, and a test-wide transaction would take the
    readings with it (the rebuild then indexes nothing)."""
    monkeypatch.setattr(tasks.repair_index, "delay", lambda: None)
    unavailable = 0
    for _ in range(100):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE search_plate_fts_data SET block = randomblob(length(block))")
        response = api(world.alice, q="AB12")
        assert response.status_code in (200, 503), response.content
        if response.status_code == 503:
            assert response.json()["error"]["code"] == "search_unavailable"
            unavailable += 1
        backend.rebuild(all_documents())
        assert api(world.alice, q="AB12").json()["count"] == 5
    assert unavailable > 90
