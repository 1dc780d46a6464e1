"""Huawei Cloud OCR Plate Number OCR shape (POST /v2/{project_id}/ocr/license-plate, RecognizeLicensePlate):
{"result": [{plate_number, plate_color, plate_location, confidence}]} or {"error_code", "error_msg"}."""

from __future__ import annotations

from rest_framework.response import Response

from dam.services import ImageRecognition
from platelens.errors import ServiceError
from plates.base import PlateRead
from plates.display import display_plate

from .common import AUTH_CODES, IMAGE_CODES

# Documented constraints of this API.
MAX_BASE64_BYTES = 10 * 1024 * 1024
MIN_NARROW_EDGE = 15
MAX_WIDE_EDGE = 4096
FORMATS = {"JPEG", "PNG", "BMP", "TIFF"}
COLORS = {"blue", "green", "yellow", "white", "black"}


def plate(read: PlateRead) -> dict:
    polygon = read.polygon
    if len(polygon) != 4:
        box = read.box
        polygon = ((box.xmin, box.ymin), (box.xmax, box.ymin), (box.xmax, box.ymax), (box.xmin, box.ymax))
    color = read.color.lower()
    return {
        "plate_number": display_plate(read.text, read.region),
        "plate_color": color if color in COLORS else "other",
        "plate_location": [[int(x), int(y)] for x, y in polygon],
        "confidence": round(read.score, 4),
    }


def recognition_body(recognition: ImageRecognition) -> dict:
    return {"result": [plate(r) for r in recognition.result.results]}


# ServiceError code -> (HTTP status, Huawei error_code, Huawei error_msg prefix)
_ERRORS = {
    "missing_image": (400, "AIS.0101", "The input parameter is invalid."),
    "invalid_parameter": (400, "AIS.0101", "The input parameter is invalid."),
    "url_input_refused": (400, "AIS.0101", "The input parameter is invalid."),
    "url_invalid": (400, "AIS.0101", "The input parameter is invalid."),
    "url_unresolvable": (400, "AIS.0101", "The input parameter is invalid."),
    "url_fetch_failed": (400, "AIS.0101", "The input parameter is invalid."),
    "invalid_base64": (400, "AIS.0102", "The image format is not supported."),
    "not_an_image": (400, "AIS.0102", "The image format is not supported."),
    "unsupported_format": (400, "AIS.0102", "The image format is not supported."),
    "empty_image": (400, "AIS.0102", "The image format is not supported."),
    "file_too_large": (400, "AIS.0103", "The image size does not meet the requirements."),
    "image_too_large": (400, "AIS.0103", "The image size does not meet the requirements."),
    "image_too_small": (400, "AIS.0103", "The image size does not meet the requirements."),
    "truncated_image": (400, "AIS.0104", "The image is not supported or the image quality is poor."),
    "rate_limited": (429, "APIGW.0308", "The throttling threshold has been reached."),
    "quota_exceeded": (429, "APIGW.0308", "The throttling threshold has been reached."),
}


def error_response(error: ServiceError) -> Response:
    if error.code in AUTH_CODES:
        status, code, text = 401, "APIGW.0301", "Incorrect IAM authentication information."
    elif error.code in _ERRORS:
        status, code, text = _ERRORS[error.code]
    elif error.code in IMAGE_CODES:
        status, code, text = 400, "AIS.0104", "The image is not supported or the image quality is poor."
    elif 400 <= error.status < 500:  # any other refusal of the request stays a client error
        status, code, text = error.status, "AIS.0101", "The input parameter is invalid."
    else:
        status, code, text = max(error.status, 500), "AIS.0105", "Recognition failed."
    return Response({"error_code": code, "error_msg": f"{text} {error.message}".strip()}, status=status)
