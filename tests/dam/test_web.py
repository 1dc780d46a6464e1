"""Web pages: login required, upload page, asset list with thumbnails and plates, asset page, images."""

from __future__ import annotations

import pytest
from django.test import Client

from dam import services
from tests.support.engine import recognition

from .conftest import png_bytes


@pytest.fixture
def alice_web(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def asset(alice):
    asset, _ = services.asset_create(
        owner=alice, data=png_bytes(size=(200, 100)), filename="car.png", enqueue=False
    )
    services.readings_record(
        asset=asset,
        result=recognition("ab12cde", boxes=[{"xmin": 20, "ymin": 30, "xmax": 120, "ymax": 60}]),
        model_version="v1",
    )
    return asset


def test_pages_need_login(db):
    for url in ("/", "/assets/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_upload_page(alice_web, asset):
    page = alice_web.get("/").content.decode()
    for part in (
        'id="dropzone"',
        'id="file-input"',
        "multiple",
        "dam/assets.js",
        'href="/search/"',
        'href="/api/docs/"',
    ):
        assert part in page
    assert "AB12 CDE" in page  # recent assets, the plate as printed


def test_asset_list_and_filters(alice_web, asset):
    page = alice_web.get("/assets/").content.decode()
    assert "AB12 CDE" in page and f"/assets/{asset.request_uuid}/thumbnail/" in page
    assert "/search/?q=ab12cde" in page
    assert "AB12 CDE" not in alice_web.get("/assets/?plate=zz").content.decode()
    assert alice_web.get("/assets/?created_after=garbage").status_code == 200


def test_asset_page_and_images(alice_web, asset):
    page = alice_web.get(f"/assets/{asset.request_uuid}/").content.decode()
    assert "data-readings=" in page and "AB12 CDE" in page
    image = alice_web.get(f"/assets/{asset.request_uuid}/file/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    thumb = alice_web.get(f"/assets/{asset.request_uuid}/thumbnail/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    reading = asset.readings.get()
    crop = alice_web.get(f"/assets/{asset.request_uuid}/readings/{reading.pk}/crop/")
    assert crop.status_code == 200 and crop["Content-Type"] == "image/jpeg"


def test_other_users_cannot_see_the_asset(bob, asset):
    client = Client()
    client.force_login(bob)
    for suffix in ("", "file/", "thumbnail/"):
        assert client.get(f"/assets/{asset.request_uuid}/{suffix}").status_code == 404
    assert "AB12 CDE" not in client.get("/assets/").content.decode()
