"""The shared behaviour suite against the Elasticsearch backend, talking to osmem-server on loopback."""

import pytest

from search.backends import get_backend
from search.backends.elasticsearch import MAPPINGS
from tests.search.behaviour import BackendBehaviour
from tests.search.conftest import use_elasticsearch


@pytest.fixture
def backend(db, settings, osmem):
    use_elasticsearch(settings, osmem.url)
    return get_backend()


class TestElasticsearchBackend(BackendBehaviour):
    def test_index_sits_behind_an_alias_that_rebuild_swaps(self, backend, world):
        client = backend.client
        first = list(client.indices.get_alias(name=backend.alias))
        backend.rebuild([])
        second = list(client.indices.get_alias(name=backend.alias))
        assert len(first) == len(second) == 1 and first != second
        assert not client.indices.exists(index=first[0])
        assert backend.count() == 0
        mapping = client.indices.get_mapping(index=second[0])[second[0]]["mappings"]["properties"]
        assert mapping["folded"]["fields"]["trigram"]["type"] == "text"
        assert set(mapping) == set(MAPPINGS["properties"])

    def test_documents_carry_their_fields(self, backend, world):
        """Guard against the empty-document failure mode: the stored source is the full document."""
        hit = backend.client.search(index=backend.alias, query={"term": {"norm": "AB1234"}})["hits"]["hits"]
        sources = sorted((h["_source"]["owner_id"], h["_source"]["plate"]) for h in hit)
        assert sources == sorted([(world.alice.pk, "AB-1234"), (world.bob.pk, "AB1234")])
