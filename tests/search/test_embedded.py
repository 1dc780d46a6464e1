"""The shared behaviour suite against the embedded backend (the project database: SQLite FTS5 trigram)."""

from datetime import timedelta

import pytest
from django.db import connection

from search.backends import embedded, get_backend
from search.documents import all_documents
from search.text import Tier
from tests.search import factories as f
from tests.search.behaviour import BackendBehaviour, plates, search, when


@pytest.fixture
def backend(db, settings):
    settings.SEARCH_BACKEND = "embedded"
    return get_backend()


class TestEmbeddedBackend(BackendBehaviour):
    def test_fragment_queries_use_the_trigram_index(self, backend, world):
        if connection.vendor != "sqlite":
            pytest.skip("query plan checked for SQLite")
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN QUERY PLAN SELECT rowid FROM search_plate_fts WHERE search_plate_fts MATCH 'AB12'"
            )
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "VIRTUAL TABLE INDEX" in plan

    def test_short_prefixes_with_many_matches_walk_the_time_index_to_the_same_pages(
        self, backend, world, monkeypatch
    ):
        for n in range(6):  # an exact and a confusion match older than every fragment match
            f.reading(
                f.asset(world.alice, timestamp=when("2023-01-01") + timedelta(days=n)), ["AB", "A8"][n % 2]
            )
        backend.rebuild(all_documents())
        for q in ("AB", "A", "8", "Q"):
            ranked = [search(backend, world.alice, q, limit=3, offset=o) for o in range(0, 15, 3)]
            monkeypatch.setattr(embedded, "WALK_ABOVE", 0)
            walked = [search(backend, world.alice, q, limit=3, offset=o) for o in range(0, 15, 3)]
            monkeypatch.setattr(embedded, "WALK_ABOVE", 5000)
            assert [plates(r) for r in walked] == [plates(r) for r in ranked], q
            assert [[h.tier for h in r.hits] for r in walked] == [[h.tier for h in r.hits] for r in ranked]
            assert walked[0].total == ranked[0].total and walked[0].facets == ranked[0].facets
        tiers = [h.tier for h in search(backend, world.alice, "AB", limit=20).hits]
        assert tiers[:6] == [Tier.EXACT] * 3 + [Tier.CONFUSION] * 3 and set(tiers[6:]) == {Tier.FRAGMENT}
