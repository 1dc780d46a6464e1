"""Plate Recognizer Snapshot API / on-prem SDK shape (docs.platerecognizer.com): /v1/plate-reader/, /alpr,
/v1/statistics/, /info/ and the webhook payload."""

from __future__ import annotations

from rest_framework.response import Response

from dam.services import ImageRecognition
from platelens.errors import ServiceError
from plates.base import PlateRead

from ..selectors import Usage
from .common import AUTH_CODES, f3, utc_iso

API_VERSION = 1  # the "version" their responses carry
VEHICLE_UNKNOWN = "Unknown"  # no vehicle model yet: every plate's vehicle type is Unknown with score 0


def plate(read: PlateRead) -> dict:
    return {
        "box": read.box.as_dict(),
        "plate": read.text.lower(),
        "region": {"code": read.region, "score": f3(read.region_score)},
        "vehicle": {"type": VEHICLE_UNKNOWN, "score": 0.0},
        "score": f3(read.score),
        "candidates": [{"score": f3(c.score), "plate": c.text.lower()} for c in read.candidates],
        "dscore": f3(read.dscore),
    }


def recognition_body(recognition: ImageRecognition, *, filename: str) -> dict:
    """The documented response of POST /v1/plate-reader/, without `usage` (also the webhook `data`)."""
    result = recognition.result
    return {
        "processing_time": f3(result.processing_ms),
        "results": [plate(r) for r in result.results],
        "filename": filename or result.filename,
        "version": API_VERSION,
        "camera_id": recognition.camera_id or None,
        "timestamp": utc_iso(recognition.timestamp),
    }


def usage_body(usage: Usage) -> dict:
    return {"calls": usage.calls, "max_calls": usage.max_calls}


def statistics_body(usage: Usage, *, calls_ever: int) -> dict:
    """`total_calls` is the plan's monthly calls: the quota, or with no quota every call made so far
    (`calls_ever`: a real number, never below this month's `calls`)."""
    return {
        "usage": {
            "month": usage.month,
            "calls": usage.calls,
            "year": usage.year,
            "resets_on": utc_iso(usage.resets_on).replace(".000000Z", "Z"),
        },
        "total_calls": usage.max_calls if usage.max_calls is not None else calls_ever,
    }


def webhook_payload(*, webhook, data: dict) -> dict:
    return {"hook": {"target": webhook.target, "id": webhook.id, "event": webhook.event}, "data": data}


def error_response(error: ServiceError) -> Response:
    """Their API is DRF: {"detail": ...} for auth (403), throttling (429) and size (413); field errors as
    {"<field>": ["message"]} with 400."""
    if error.code in AUTH_CODES:
        return Response({"detail": error.message}, status=403)
    headers = {}
    if error.status == 429:
        wait = (error.details or {}).get("retry_after") if isinstance(error.details, dict) else None
        if wait:
            headers["Retry-After"] = str(wait)
        return Response({"detail": error.message}, status=429, headers=headers)
    if error.status == 413:
        return Response({"detail": error.message}, status=413)
    field = (error.details or {}).get("field") if isinstance(error.details, dict) else None
    if error.status == 400 and field:
        return Response({field: [error.message]}, status=400)
    return Response({"detail": error.message}, status=error.status)
