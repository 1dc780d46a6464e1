"""Uploaded photos are private (issue 11, finding 1): no public /media/ route, the metadata's file_path is the
ownership-checked URL, and production can hand the bytes to the reverse proxy (X-Accel-Redirect/X-Sendfile)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from dam import services

from .conftest import png_bytes


@pytest.fixture
def asset(alice):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), filename="car.png", enqueue=False)
    return asset


def test_there_is_no_public_media_route(asset, alice_api, settings):
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
