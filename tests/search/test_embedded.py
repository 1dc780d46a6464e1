"""The shared behaviour suite against the embedded backend (the project database: SQLite FTS5 trigram)."""

import pytest
from django.db import connection

from search.backends import get_backend
from tests.search.behaviour import BackendBehaviour


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
