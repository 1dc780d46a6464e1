"""Uploaded photos are private (issue 11, finding 1): no public /media/ route, the metadata's file_path is the
ownership-checked URL, and production can hand the bytes to the reverse proxy (X-Accel-Redirect/X-Sendfile)."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.urls import clear_url_caches
from rest_framework.test import APIClient

from dam import services

from .conftest import png_bytes


@pytest.fixture
def asset(alice):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), filename="car.png", enqueue=False)
    return asset


@pytest.fixture
def debug_urls(settings):
    """The URLconf as built with DEBUG on (`static()` adds a /media/ route only then, at import time)."""
    settings.DEBUG = True
    urls = importlib.import_module(settings.ROOT_URLCONF)
    importlib.reload(urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(urls)
    clear_url_caches()


def test_there_is_no_public_media_route(asset, alice_api, debug_urls):
    storage_path = asset.file.name  # assets/<sha1[:2]>/<sha1>.png
    for prefix in ("/media/", "/"):
        assert Client().get(prefix + storage_path).status_code == 404
        assert alice_api.get(prefix + storage_path).status_code == 404  # not even for its owner


def test_file_path_is_the_owner_checked_url(asset, alice_api, bob_api, staff_api):
    file_path = alice_api.get(f"/api/assets/{asset.request_uuid}/metadata/").json()["result"]["file_path"]
    assert file_path == f"/assets/{asset.request_uuid}/file/"
    assert asset.sha1 not in file_path
    owner = alice_api.get(file_path)
    assert owner.status_code == 200 and owner["Content-Type"] == "image/png"
    assert b"".join(owner.streaming_content) == png_bytes()
    assert "private" in owner["Cache-Control"]
    assert staff_api.get(file_path).status_code == 200
    assert bob_api.get(file_path).status_code == 404
    assert APIClient().get(file_path).status_code == 401
    assert alice_api.get(f"/api/assets/{asset.request_uuid}/").json()["file_url"] == file_path


@pytest.mark.parametrize(
    ("mode", "header"), [("x-accel-redirect", "X-Accel-Redirect"), ("x-sendfile", "X-Sendfile")]
)
def test_the_reverse_proxy_can_send_the_bytes(asset, alice_api, bob_api, settings, mode, header):
    settings.PLATELENS_MEDIA_ACCEL = mode
    settings.PLATELENS_MEDIA_ACCEL_PREFIX = "/protected-media/"
    response = alice_api.get(f"/assets/{asset.request_uuid}/file/")
    assert response.status_code == 200 and response.content == b""
    expected = f"/protected-media/{asset.file.name}" if mode == "x-accel-redirect" else asset.file.path
    assert response[header] == expected and response["Content-Type"] == "image/png"
    denied = bob_api.get(f"/assets/{asset.request_uuid}/file/")
    assert denied.status_code == 404 and header not in denied


@pytest.mark.django_db(transaction=True)
def test_upload_url_cannot_fetch_our_own_media(live_server, settings, debug_urls):
    """Even with loopback allow-listed for URL inputs, the server's own fetch carries no credentials: the
    photo of another user (or the old /media/ path) is never downloaded and recognized."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    users = get_user_model().objects
    alice, mallory = users.create_user("alice"), users.create_user("mallory")
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), filename="car.png", enqueue=False)
    settings.PLATELENS_URL_INPUT_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=mallory).key}")
    for path in (f"/media/{asset.file.name}", f"/assets/{asset.request_uuid}/file/"):
        response = client.post("/v1/plate-reader/", {"upload_url": live_server.url + path})
        assert response.status_code == 400, response.content
        assert "HTTP 40" in response.content.decode()  # 401 or 404 from our own server: nothing fetched
    assert not users.get(username="mallory").assets.exists()
