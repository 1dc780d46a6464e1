"""GET /api/search/: authentication, parameters, pagination, facets, the hit shape, ownership."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from search.backends import get_backend


@pytest.fixture
def backend(db, settings):
    settings.SEARCH_BACKEND = "embedded"
    return get_backend()


@pytest.fixture
def client_for():
    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return client

    return make


def test_requires_authentication(backend, world):
    response = APIClient().get("/api/search/", {"q": "AB1234"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_token_search_with_facets_and_hit_shape(backend, world, client_for):
    response = client_for(world.alice).get("/api/search/", {"q": "ab-12 34"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    first = body["results"][0]
    asset = world.assets["exact"]
    assert first["plate"] == "AB-1234"
    assert first["match"] == "exact"
    assert first["highlight"] == {"text": "AB-1234", "start": 0, "end": 7}
    assert first["box"] == {"xmin": 10, "ymin": 20, "xmax": 110, "ymax": 50}
    assert first["asset"]["request_uuid"] == str(asset.request_uuid)
    assert first["asset"]["thumbnail_url"].startswith("http://testserver/")
    assert str(asset.request_uuid) in first["asset"]["thumbnail_url"]
    assert [r["match"] for r in body["results"]] == ["exact", "confusion", "fragment", "fuzzy"]
    assert {"value": "gate-2", "count": 1} in body["facets"]["camera_id"]


def test_fragment_highlight_skips_separators(backend, world, client_for):
    body = client_for(world.alice).get("/api/search/", {"q": "B12", "camera_id": "gate-2"}).json()
    assert body["results"][0]["highlight"] == {"text": "AB-1234", "start": 1, "end": 5}  # "B-12"


def test_camera_and_date_filters_and_pagination(backend, world, client_for):
    client = client_for(world.alice)
    body = client.get("/api/search/", {"q": "AB12", "from": "2024-04-05", "to": "2024-04-10"}).json()
    # `to` as a date covers that whole day
    assert [r["plate"] for r in body["results"]] == ["XAB1234Z", "A81234"]
    assert client.get("/api/search/", {"q": "AB12", "camera_id": "gate-2"}).json()["count"] == 1
    page1 = client.get("/api/search/", {"q": "AB12", "page_size": 2}).json()
    assert page1["count"] == 5 and len(page1["results"]) == 2 and page1["previous"] is None
    page2 = client.get(page1["next"]).json()
    assert page2["page"] == 2 and page2["previous"]
    page3 = client.get(page2["next"]).json()
    assert page3["next"] is None and len(page3["results"]) == 1


def test_original_reading_only_when_asked(backend, world, client_for):
    client = client_for(world.alice)
    assert client.get("/api/search/", {"q": "HH4321"}).json()["count"] == 0
    hit = client.get("/api/search/", {"q": "HH4321", "original": "true"}).json()["results"][0]
    assert hit["plate"] == "KT9876" and hit["matched_original"]
    assert hit["highlight"]["text"] == "HH4321"


def test_ownership(backend, world, client_for):
    body = client_for(world.bob).get("/api/search/", {"q": "AB12"}).json()
    assert [r["asset"]["request_uuid"] for r in body["results"]] == [str(world.assets["bobs"].request_uuid)]


def test_session_authentication(backend, world, client):
    client.force_login(world.alice)
    assert client.get("/api/search/", {"q": "8O123"}).json()["results"][0]["plate"] == "B0123"


@pytest.mark.parametrize(
    "params",
    [{"from": "yesterday"}, {"page_size": 1000}, {"review_status": "rejected"}, {"page": 0}, {"page": 401}],
)
def test_invalid_parameters(backend, world, client_for, params):
    response = client_for(world.alice).get("/api/search/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_engine_down_is_503(db, settings, client_for):
    from django.contrib.auth import get_user_model

    from tests.search.conftest import use_elasticsearch
    from tests.search.osmem import free_port

    use_elasticsearch(settings, f"http://127.0.0.1:{free_port()}")
    user = get_user_model().objects.create_user("carol", password="x")
    response = client_for(user).get("/api/search/", {"q": "AB1234"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "search_unavailable"


def test_search_page_renders_highlight_and_facets(backend, world, client):
    client.force_login(world.alice)
    response = client.get("/search/", {"q": "AB12"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>AB12</mark>" in html
    assert "5 readings found" in html
    assert 'data-facet="camera_id" data-value="gate-1"' in html
    assert client.get("/search/", {"from": "never"}).status_code == 400


def test_search_page_opens_on_the_newest_readings_and_the_account_facets(backend, world, client):
    client.force_login(world.alice)
    html = client.get("/search/").content.decode()
    assert "9 readings found" in html
    assert html.index("KT9876") < html.index("CD9999")  # newest first
    assert 'data-facet="review_status" data-value="corrected"' in html


def test_search_page_requires_login(db):
    from django.test import Client

    response = Client().get("/search/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_count_stops_at_the_limit_and_says_so(backend, world, client_for, client, monkeypatch):
    monkeypatch.setattr("search.selectors.COUNT_LIMIT", 3)
    api = client_for(world.alice)
    exact = api.get("/api/search/", {"q": "B12", "camera_id": "gate-2"}).json()
    assert (exact["count"], exact["count_relation"]) == (1, "eq")
    first = api.get("/api/search/", {"q": "AB12", "page_size": 2}).json()
    assert (first["count"], first["count_relation"]) == (3, "gte")
    second = api.get(first["next"]).json()
    assert [r["plate"] for r in second["results"]] == ["XAB1234Z"] and second["next"] is None
    browse = api.get("/api/search/").json()
    assert (browse["count"], browse["count_relation"]) == (3, "gte")
    assert sum(v["count"] for v in browse["facets"]["review_status"]) == 9  # facets still count every reading
    client.force_login(world.alice)
    assert "3+ readings found" in client.get("/search/", {"q": "AB12"}).content.decode()


def test_browse_pages_by_cursor(backend, world, client_for):
    api = client_for(world.alice)
    body = api.get("/api/search/", {"page_size": 4}).json()
    seen = [r["reading_id"] for r in body["results"]]
    while body["next_cursor"]:
        body = api.get("/api/search/", {"page_size": 4, "cursor": body["next_cursor"]}).json()
        assert body["count"] == 9
        seen += [r["reading_id"] for r in body["results"]]
    everything = api.get("/api/search/", {"page_size": 100}).json()
    assert seen == [r["reading_id"] for r in everything["results"]] and len(seen) == 9
    assert everything["next_cursor"] is None
    assert api.get("/api/search/", {"q": "AB12"}).json()["next_cursor"] is None
    bad = ["x", "2024-13-45T00:00:00_5", "2024-01-01T00:00:00+00:00_" + "9" * 30, "2024-01-01_²"]
    for params in [{"q": "AB12", "cursor": "2024-01-01T00:00:00+00:00_5"}, *({"cursor": c} for c in bad)]:
        response = api.get("/api/search/", params)
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
