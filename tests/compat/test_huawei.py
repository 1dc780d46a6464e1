"""Contract of the Huawei Cloud Plate Number OCR shape: POST /v2/{project_id}/ocr/license-plate."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from rest_framework.test import APIClient

from compat.models import ApiCall

from .conftest import PLATE_TEXT, assert_searchable

pytestmark = pytest.mark.slow
URL = "/v2/0a1b2c3d4e5f60718293a4b5c6d7e8f9/ocr/license-plate"


@pytest.fixture
def client_hw(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_AUTH_TOKEN=token)
    return client


def image_b64(size, fmt="PNG") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 130, 140)).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def test_result_has_every_documented_field_and_the_asset_is_searchable(client_hw, alice, photo):
    response = client_hw.post(URL, {"image": base64.b64encode(photo).decode()}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"result"} and len(body["result"]) == 1
    item = body["result"][0]
    assert set(item) == {"plate_number", "plate_color", "plate_location", "confidence"}
    assert item["plate_number"] == "AB12 CDE"  # as printed
    assert item["plate_color"] in {"blue", "green", "yellow", "white", "black", "other"}
    assert len(item["plate_location"]) == 4
    assert all(len(p) == 2 and all(isinstance(v, int) for v in p) for p in item["plate_location"])
    assert isinstance(item["confidence"], float) and 0.0 <= item["confidence"] <= 1.0
    assert_searchable(alice, PLATE_TEXT)
    assert ApiCall.objects.get().api == "huawei"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "AIS.0101"),
        ({"image": "x", "url": "https://example.com/a.jpg"}, "AIS.0101"),
        ({"url": "https://example.com/car.jpg"}, "AIS.0101"),  # URL input refused (no allowed hosts)
        ({"image": "%%% not base64"}, "AIS.0102"),
        ({"image": image_b64((64, 64), "GIF")}, "AIS.0102"),
        ({"image": image_b64((14, 200))}, "AIS.0103"),
        ({"image": image_b64((4097, 20))}, "AIS.0103"),
    ],
)
def test_failures_answer_error_code_and_error_msg(client_hw, body, code):
    response = client_hw.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()
    assert set(error) == {"error_code", "error_msg"}
    assert error["error_code"] == code and isinstance(error["error_msg"], str) and error["error_msg"]
    assert not ApiCall.objects.exists()


def test_url_refusal_says_why(client_hw):
    error = client_hw.post(URL, {"url": "https://example.com/car.jpg"}, format="json").json()
    assert "PLATELENS_URL_INPUT_ALLOWED_HOSTS" in error["error_msg"]


def test_too_large_is_refused_with_their_size_code(client_hw, photo, settings):
    settings.PLATELENS_MAX_UPLOAD_BYTES = len(photo) - 1
    response = client_hw.post(URL, {"image": base64.b64encode(photo).decode()}, format="json")
    assert response.status_code == 400 and response.json()["error_code"] == "AIS.0103"


@pytest.mark.parametrize("headers", [{}, {"HTTP_X_AUTH_TOKEN": "not-a-token"}])
def test_auth_failures(db, headers):
    response = APIClient().post(URL, {"image": image_b64((64, 64))}, format="json", **headers)
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"


def test_rate_limit(client_hw, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1/min", "anon": "1/min"},
    }
    client_hw.post(URL, {}, format="json")
    response = client_hw.post(URL, {}, format="json")
    assert response.status_code == 429 and response.json()["error_code"] == "APIGW.0308"


def test_no_worker_is_their_recognition_failure(client_hw, photo, settings, celery_eager):
    celery_eager.conf.task_always_eager = False  # a real broker message that no worker takes
    settings.PLATELENS_ENGINE_TIMEOUT_SECONDS = 1
    response = client_hw.post(URL, {"image": base64.b64encode(photo).decode()}, format="json")
    assert response.status_code == 503, response.content
    assert response.json()["error_code"] == "AIS.0105"
