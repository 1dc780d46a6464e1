"""A plate stored compact (as the engine writes it) is found by its printed form and by its stored form, and
the search page shows it as printed with the match highlighted."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from search.backends import get_backend
from search.documents import all_documents
from tests.search import factories as f


@pytest.fixture
def stored(db, settings):
    settings.SEARCH_BACKEND = "embedded"
    alice = f.user("alice")
    f.reading(f.asset(alice), "ab12cde", region="gb")
    backend = get_backend()
    backend.rebuild(all_documents())
    backend.refresh()
    return alice


@pytest.mark.parametrize("query", ["AB12 CDE", "ab12cde", "AB12CDE", "ab-12-cde", "12 CD"])
def test_printed_and_stored_forms_find_the_plate(stored, query):
    client = APIClient()
    client.force_authenticate(stored)
    body = client.get("/api/search/", {"q": query}).json()
    assert [hit["plate"] for hit in body["results"]] == ["ab12cde"], body


def test_search_page_shows_the_plate_as_printed(stored):
    client = Client()
    client.force_login(stored)
    html = client.get("/search/", {"q": "12C"}).content.decode()
    assert "AB<mark>12 C</mark>DE" in html
