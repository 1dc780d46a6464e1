"""Tencent Cloud OCR LicensePlateOCR shape (API 3.0, version 2018-11-19): {"Response": {Number, Confidence,
Rect, Color, LicensePlateInfos, LicensePlateCategory, RequestId}}; errors as {"Response": {"Error": {Code,
Message}, "RequestId"}} with HTTP 200, as their API does."""

from __future__ import annotations

import uuid

from rest_framework.response import Response

from dam.services import ImageRecognition
from platelens.errors import ServiceError
from plates.base import PlateRead
from plates.display import display_plate

from .common import IMAGE_CODES

ACTION = "LicensePlateOCR"
VERSION = "2018-11-19"
MAX_BASE64_BYTES = 7 * 1024 * 1024  # "after Base64 encoding can be up to 7 MB"
FORMATS = {"JPEG", "PNG"}
# Their colour names (the API answers in Chinese): white, black, blue, green, yellow, yellow-green, other.
COLORS = {"white": "白", "black": "黑", "blue": "蓝", "green": "绿", "yellow": "黄", "yellowgreen": "黄绿"}
OTHER_COLOR = "其它"
CATEGORY = "实体车牌"  # a physical plate (the only kind the engine reads)


def request_id() -> str:
    return str(uuid.uuid4())


def plate(read: PlateRead) -> dict:
    box = read.box
    color = read.color.lower().replace("-", "").replace("_", "")
    return {
        "Number": display_plate(read.text, read.region),
        "Confidence": max(0, min(100, int(round(read.score * 100)))),
        "Rect": {
            "X": box.xmin,
            "Y": box.ymin,
            "Width": box.width,
            "Height": box.height,
        },
        "Color": COLORS.get(color, OTHER_COLOR),
        "LicensePlateCategory": CATEGORY,
    }


def recognition_body(recognition: ImageRecognition, *, request_id: str) -> dict | None:
    """None when no plate was read: their API answers FailedOperation.OcrFailed then."""
    plates = [plate(r) for r in recognition.result.results]
    if not plates:
        return None
    best = plates[0]
    return {
        "Response": {
            "Number": best["Number"],
            "Confidence": best["Confidence"],
            "Rect": best["Rect"],
            "Color": best["Color"],
            "LicensePlateInfos": plates,
            "LicensePlateCategory": best["LicensePlateCategory"],
            "RequestId": request_id,
        }
    }


_ERRORS = {
    "not_authenticated": "AuthFailure.InvalidAuthorization",
    "authentication_failed": "AuthFailure.SecretIdNotFound",
    "rate_limited": "RequestLimitExceeded",
    "quota_exceeded": "ResourceUnavailable.ResourcePackageRunOut",
    "file_too_large": "LimitExceeded.TooLargeFileError",
    "image_too_large": "LimitExceeded.TooLargeFileError",
    "empty_image": "FailedOperation.EmptyImageError",
    "missing_image": "InvalidParameter",
    "invalid_parameter": "InvalidParameterValue.InvalidParameterValueLimit",
    "invalid_action": "InvalidAction",
    "missing_action": "MissingParameter",
    "url_input_refused": "FailedOperation.DownLoadError",
    "url_invalid": "FailedOperation.DownLoadError",
    "url_unresolvable": "FailedOperation.DownLoadError",
    "url_fetch_failed": "FailedOperation.DownLoadError",
    "no_plate": "FailedOperation.OcrFailed",
    "method_not_allowed": "UnsupportedOperation",
}


def error_response(error: ServiceError, *, request_id: str) -> Response:
    if error.code in _ERRORS:
        code = _ERRORS[error.code]
    elif error.code in IMAGE_CODES or error.code == "invalid_base64":
        code = "FailedOperation.ImageDecodeFailed"
    else:
        code = "FailedOperation.UnKnowError"
    return Response(
        {"Response": {"Error": {"Code": code, "Message": error.message}, "RequestId": request_id}}, status=200
    )
