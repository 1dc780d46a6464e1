"""Fixtures of the search tests: an osmem-server peer for the Elasticsearch backend, eager Celery."""

import uuid
from types import SimpleNamespace

import pytest

from search.documents import all_documents
from tests.search import factories as f
from tests.search.behaviour import when
from tests.search.osmem import OsmemProcess

NODE_CLASS = "tests.search.es_node.PlainJsonNode"


@pytest.fixture(scope="session")
def osmem():
    server = OsmemProcess().start()
    yield server
    server.stop()


def use_elasticsearch(settings, url: str) -> None:
    """Point the settings at an Elasticsearch-API server, with a fresh index alias for this test."""
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = url
    settings.ELASTICSEARCH_INDEX = f"plates-test-{uuid.uuid4().hex[:12]}"
    settings.ELASTICSEARCH_NODE_CLASS = NODE_CLASS


@pytest.fixture
def world(backend):
    """Alice's assets (one plate per asset unless noted) and Bob's; indexed by a rebuild from the database."""
    alice, bob = f.user("alice"), f.user("bob")
    w = SimpleNamespace(alice=alice, bob=bob, assets={}, readings={})

    def add(key, plate, *, camera="gate-1", day="2024-03-01", owner=alice, **kwargs):
        item = f.asset(owner, camera_id=camera, timestamp=when(day))
        w.assets[key] = item
        w.readings[key] = f.reading(item, plate, **kwargs)
        return item

    add(
        "exact",
        "AB-1234",
        camera="gate-2",
        day="2024-04-02",
        region="fr",
        color="yellow",
        review_status="approved",
    )
    add("confusion", "A81234", day="2024-04-05", region="fr", color="white")
    add("fragment", "XAB1234Z", day="2024-04-10", region="de", color="white")
    add("fuzzy", "AB1244", day="2024-04-12", region="de", color="white")
    add("b0123", "B0123", day="2024-03-10", region="de", color="white")
    add("short_frag", "XAB12Y", day="2024-05-01", region="it", color="white")
    add("other", "CD9999", camera="gate-3", day="2024-05-02", region="it", color="white")
    add("rejected", "REJ777", review_status="rejected")
    add("corrected", "HH4321", corrected="KT9876", review_status="corrected", day="2024-05-03")
    add("bobs", "AB1234", owner=bob, day="2024-06-01")
    second = f.reading(w.assets["other"], "QQ5555", index=1, region="it", color="blue")
    w.readings["other_second"] = second
    backend.rebuild(all_documents())
    backend.refresh()
    return w
