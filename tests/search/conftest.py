"""Fixtures of the search tests: an osmem-server peer for the Elasticsearch backend, eager Celery."""

import uuid

import pytest

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
def eager_celery():
    from platelens.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
