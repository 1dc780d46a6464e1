"""Contract of the Tencent Cloud LicensePlateOCR shape, mounted at POST /tencentcloud/."""

from __future__ import annotations

import base64
import io
import uuid

import pytest
from PIL import Image
from rest_framework.test import APIClient

from compat.models import ApiCall

from .conftest import PLATE_TEXT, assert_searchable

pytestmark = pytest.mark.slow
URL = "/tencentcloud/"


@pytest.fixture
def client_tc(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def post(client, body, action="LicensePlateOCR"):
    return client.post(URL, body, format="json", HTTP_X_TC_ACTION=action, HTTP_X_TC_VERSION="2018-11-19")


def error_of(response) -> dict:
    assert response.status_code == 200  # their API reports errors inside a 200 answer
    body = response.json()["Response"]
    uuid.UUID(body["RequestId"])
    assert set(body["Error"]) == {"Code", "Message"} and body["Error"]["Message"]
    return body["Error"]


def assert_rect(rect: dict) -> None:
    assert set(rect) == {"X", "Y", "Width", "Height"}
    assert all(isinstance(v, int) for v in rect.values()) and rect["Width"] > 0 and rect["Height"] > 0


def test_response_has_every_documented_field_and_the_asset_is_searchable(client_tc, alice, photo):
    response = post(client_tc, {"ImageBase64": base64.b64encode(photo).decode()})
    assert response.status_code == 200
    body = response.json()["Response"]
    assert "Error" not in body, body
    assert set(body) == {
        "Number",
        "Confidence",
        "Rect",
        "Color",
        "LicensePlateInfos",
        "LicensePlateCategory",
        "RequestId",
    }
    assert body["Number"] == "AB12 CDE"
    assert isinstance(body["Confidence"], int) and 0 <= body["Confidence"] <= 100
    assert_rect(body["Rect"])
    assert body["Color"] in {"白", "黑", "蓝", "绿", "黄", "黄绿", "其它"}
    assert isinstance(body["LicensePlateCategory"], str)
    uuid.UUID(body["RequestId"])
    assert len(body["LicensePlateInfos"]) == 1
    info = body["LicensePlateInfos"][0]
    assert set(info) == {"Number", "Confidence", "Rect", "Color", "LicensePlateCategory"}
    assert info["Number"] == body["Number"] and info["Rect"] == body["Rect"]
    assert_searchable(alice, PLATE_TEXT)
    assert ApiCall.objects.get().api == "tencent"


def test_the_sdk_tc3_header_carries_the_token_as_secret_id(db, token, photo):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"TC3-HMAC-SHA256 Credential={token}/2026-11-21/ocr/tc3_request, "
        "SignedHeaders=content-type;host, Signature=0123abcd",
        HTTP_X_TC_ACTION="LicensePlateOCR",
    )
    body = client.post(URL, {"ImageBase64": base64.b64encode(photo).decode()}, format="json").json()[
        "Response"
    ]
    assert body["Number"] == "AB12 CDE"


def blank(fmt="PNG") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (90, 90, 90)).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("body", "action", "code"),
    [
        ({"ImageBase64": "!!!"}, "LicensePlateOCR", "FailedOperation.ImageDecodeFailed"),
        (
            {"ImageBase64": base64.b64encode(b"\xff\xd8\xff\xe0 truncated").decode()},
            "LicensePlateOCR",
            "FailedOperation.ImageDecodeFailed",
        ),
        ({"ImageBase64": blank("BMP")}, "LicensePlateOCR", "FailedOperation.ImageDecodeFailed"),
        ({"ImageBase64": blank()}, "LicensePlateOCR", "FailedOperation.OcrFailed"),
        ({}, "LicensePlateOCR", "InvalidParameter"),
        ({"ImageUrl": "https://example.com/car.jpg"}, "LicensePlateOCR", "FailedOperation.DownLoadError"),
        ({"ImageBase64": blank()}, "GeneralBasicOCR", "InvalidAction"),
        ({"ImageBase64": blank()}, "", "MissingParameter"),
    ],
)
def test_errors_in_their_error_form(client_tc, body, action, code):
    assert error_of(post(client_tc, body, action))["Code"] == code


def test_too_large_file(client_tc, photo, settings):
    settings.PLATELENS_MAX_UPLOAD_BYTES = len(photo) - 1
    response = post(client_tc, {"ImageBase64": base64.b64encode(photo).decode()})
    assert error_of(response)["Code"] == "LimitExceeded.TooLargeFileError"


@pytest.mark.parametrize(
    ("authorization", "code"),
    [(None, "AuthFailure.InvalidAuthorization"), ("Token nope", "AuthFailure.SecretIdNotFound")],
)
def test_auth_failures(db, authorization, code):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = client.post(URL, {"ImageBase64": blank()}, format="json", HTTP_X_TC_ACTION="LicensePlateOCR")
    assert error_of(response)["Code"] == code


def test_rate_limit_and_quota(client_tc, settings, alice):
    settings.PLATELENS_MONTHLY_QUOTA = 1
    ApiCall.objects.create(user=alice, api="tencent")
    assert error_of(post(client_tc, {"ImageBase64": blank()}))["Code"] == (
        "ResourceUnavailable.ResourcePackageRunOut"
    )
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1/min", "anon": "1/min"},
    }
    assert error_of(post(client_tc, {}))["Code"] == "RequestLimitExceeded"
