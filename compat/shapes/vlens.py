"""Vlens OCR shape (POST /v1/ocr/license_plate, docs.vlenseg.com "Extract license plate text"):
{"services": {"validations": {"validation_errors": [...]}, ...}, "data": {transaction_id, request_id,
client_transaction_id, result}, "error_code", "error_message"}. Errors use the same envelope with
"data": null and a non-zero error_code; the HTTP status follows their error-code table."""

from __future__ import annotations

from rest_framework.response import Response

from dam.services import ImageRecognition
from platelens.errors import ServiceError
from plates.base import PlateRead
from plates.display import display_plate

from .common import AUTH_CODES, IMAGE_CODES

MAX_BASE64_BYTES = 3 * 1024 * 1024 * 4 // 3 + 4  # "Base64-encoded JPEG or PNG. Max 3 MB."
FORMATS = {"JPEG", "PNG"}
DEFAULT_COUNTRY = "EG"
EGYPT = {"EG", "EGY"}  # their country; the engine has no Egyptian format, so it gets no region hint
# A reading under this OCR score, and any reading for Egypt (no Arabic reader yet), is returned with
# validation error 101 (their example's only validation).
LOW_CONFIDENCE = 0.8
LOW_CONFIDENCE_CODE = 101
LOW_CONFIDENCE_MESSAGE = "Character recognition confidence below threshold"
PLATE_FIELD = "license_plate_text"
# Their documented error for an image the OCR cannot read; we also answer it when no plate is found.
UNREADABLE_CODE = 1050
UNREADABLE_MESSAGE = "Image quality too low for OCR extraction"


def _services(validation_errors: list[dict]) -> dict:
    """The `services` block of their response. Spoofing, AML and source checks belong to their identity
    products; a plate read answers them as their example does (not fake, no AML match, valid)."""
    return {
        "validations": {"validation_errors": validation_errors},
        "spoofing": {"fake": False},
        "classification": {"doc_type": "license_plate"},
        "liveness": False,
        "AML": {"AML_matched": False, "data": []},
        "SRC": {"isValid": True, "errorCode": 0, "errorKey": "", "errorMessage": ""},
    }


def _unsure(read: PlateRead, country: str) -> bool:
    """Under their threshold, or any reading for Egypt: Egyptian plates are Arabic, which the engine does not
    read, so what it makes of one is a Latin look-alike, however sure the reader is of its glyphs."""
    return read.score < LOW_CONFIDENCE or country in EGYPT


def recognition_body(
    recognition: ImageRecognition,
    *,
    country: str,
    transaction_id: str,
    request_id: str,
    client_transaction_id: str | None,
) -> dict | None:
    """The best plate as printed, or None when no plate was read (answered as error 1050). `country`: the
    request's ISO code (upper case)."""
    if not recognition.result.results:
        return None
    best = max(recognition.result.results, key=lambda read: read.score)
    text = display_plate(best.text, best.region)
    errors = []
    if _unsure(best, country):
        errors.append(
            {
                "field": PLATE_FIELD,
                "value": text,
                "errors": [{"code": LOW_CONFIDENCE_CODE, "message": LOW_CONFIDENCE_MESSAGE}],
            }
        )
    return {
        "services": _services(errors),
        "data": {
            "transaction_id": transaction_id,
            "request_id": request_id,
            "client_transaction_id": client_transaction_id,
            "result": text,
        },
        "error_code": 0,
        "error_message": "",
    }


# ServiceError code -> (HTTP status, Vlens error_code). Their error-code table lists the HTTP statuses 400
# (missing parameter, invalid base64), 401, 403, 415 (image format), 422 (custom code in error_code) and 500;
# for those the error_code repeats the status.
_ERRORS = {
    "missing_image": (400, 400),
    "invalid_parameter": (400, 400),
    "invalid_base64": (400, 400),
    "file_too_large": (400, 400),
    "image_too_large": (400, 400),
    "unsupported_format": (415, 415),
    "not_an_image": (415, 415),
    "no_plate": (422, UNREADABLE_CODE),
    "rate_limited": (429, 429),
    "quota_exceeded": (429, 429),
    "method_not_allowed": (405, 405),
}


def error_response(error: ServiceError) -> Response:
    if error.code in AUTH_CODES:
        status, code = 401, 401
    elif error.code in _ERRORS:
        status, code = _ERRORS[error.code]
    elif error.code in IMAGE_CODES:
        status, code = 422, UNREADABLE_CODE
    else:
        status, code = max(error.status, 500), 500
    message = f"{UNREADABLE_MESSAGE}: {error.message}" if code == UNREADABLE_CODE else error.message
    headers = {}
    wait = (error.details or {}).get("retry_after") if isinstance(error.details, dict) else None
    if status == 429 and wait:
        headers["Retry-After"] = str(wait)
    body = {"data": None, "error_code": code, "error_message": message, "error_descriptions": None}
    field = (error.details or {}).get("field") if isinstance(error.details, dict) else None
    if field:
        body["error_descriptions"] = [{"field": field, "message": error.message}]
    return Response(body, status=status, headers=headers)
