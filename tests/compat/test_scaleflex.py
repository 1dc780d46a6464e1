"""Contract of the Scaleflex Visual AI shape: POST /scaleflex/license-plate/ answers the asset's metadata."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid

import pytest
from rest_framework.test import APIClient

from .conftest import PLATE_TEXT, assert_searchable

pytestmark = pytest.mark.slow
URL = "/scaleflex/license-plate/"


@pytest.fixture
def client_sf(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_FILEROBOT_KEY=token)
    return client


def test_success_has_every_documented_field_and_matches_the_asset_metadata(client_sf, alice, photo):
    response = client_sf.post(URL, {"file": io.BytesIO(photo)}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"status", "version", "result"} and body["status"] == "success"
    assert isinstance(body["version"], str) and body["version"]
    result = body["result"]
    assert set(result) == {"request_uuid", "created_on", "sha1", "file_path", "plate_number"}
    uuid.UUID(result["request_uuid"])
    dt.datetime.fromisoformat(result["created_on"])
    assert result["sha1"] == hashlib.sha1(photo).hexdigest()
    assert isinstance(result["file_path"], str) and result["file_path"]
    assert result["plate_number"] == ["AB12 CDE"]  # as printed
    asset = assert_searchable(alice, PLATE_TEXT)
    assert str(asset.request_uuid) == result["request_uuid"]
    metadata = client_sf.get(
        f"/api/assets/{asset.request_uuid}/metadata/", HTTP_AUTHORIZATION=f"Token {alice.auth_token.key}"
    )
    if metadata.status_code == 200:  # the DAM's per-asset metadata: the same document
        assert metadata.json() == body


def test_without_storing_the_shape_is_the_same(client_sf, photo):
    body = client_sf.post(URL + "?store_image=false", {"file": io.BytesIO(photo)}, format="multipart").json()
    assert body["status"] == "success" and body["result"]["request_uuid"] is None
    assert body["result"]["plate_number"] == ["AB12 CDE"]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({}, 400, "MISSING_IMAGE"),
        ({"file": io.BytesIO(b"not an image")}, 400, "NOT_AN_IMAGE"),
    ],
)
def test_errors(client_sf, data, status, code):
    response = client_sf.post(URL, data, format="multipart")
    assert response.status_code == status
    body = response.json()
    assert (
        set(body) == {"status", "code", "msg", "hint"} and body["status"] == "error" and body["code"] == code
    )


def test_wrong_key(db, photo):
    client = APIClient()
    client.credentials(HTTP_X_FILEROBOT_KEY="nope")
    response = client.post(URL, {"file": io.BytesIO(photo)}, format="multipart")
    assert response.status_code == 401 and response.json()["status"] == "error"
