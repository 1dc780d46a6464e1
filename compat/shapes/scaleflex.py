"""Scaleflex Visual AI shape: {"status": "success", "version", "result": {request_uuid, created_on, sha1,
file_path, plate_number: [...]}} (the DAM's per-asset metadata) or {"status": "error", "code", "msg",
"hint"}."""

from __future__ import annotations

from rest_framework.response import Response

from dam.selectors import asset_metadata, metadata_body
from dam.services import ImageRecognition
from platelens.errors import ServiceError
from plates.display import display_plate

from .common import AUTH_CODES


def recognition_body(recognition: ImageRecognition, *, sha1: str) -> dict:
    """The stored asset's metadata; when images are not stored, the same shape without an asset."""
    if recognition.asset is not None:
        return asset_metadata(recognition.asset)
    plates = [display_plate(r.text, r.region) for r in recognition.result.results]
    return metadata_body(
        request_uuid=None,
        created_on=recognition.timestamp,
        sha1=sha1,
        file_path="",
        plate_numbers=[p for p in dict.fromkeys(plates) if p],
    )


_HINTS = {
    "file_too_large": "Send a smaller image.",
    "rate_limited": "Slow down and retry later.",
    "quota_exceeded": "The monthly quota is used up; it resets on the first day of next month.",
    "missing_image": "Send the image as a multipart file field named `file`.",
}


def error_response(error: ServiceError) -> Response:
    status = 401 if error.code in AUTH_CODES else error.status
    hint = _HINTS.get(error.code) or (
        "Check the token and the image, then retry." if status < 500 else "Retry later."
    )
    return Response(
        {"status": "error", "code": error.code.upper(), "msg": error.message, "hint": hint}, status=status
    )
