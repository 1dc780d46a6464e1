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
