"""Request-edge helpers every API of the project shares (the DAM API, the compatible APIs): the per-user
throttle, the body-size guard, upload size checks and base64 decoding, each raising the one error type (the
JSON parser is in platelens.parsers).

They live in the project package, not in an app, because they depend only on settings and DRF: the DAM and
the compatible APIs both use them, and neither should import the other for HTTP plumbing."""

from __future__ import annotations

import base64
import binascii
import re

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from platelens.errors import ServiceError

_DATA_URI = re.compile(r"^data:[\w/+.-]*;base64,", re.IGNORECASE)
# Multipart boundaries and the other fields of an upload request.
BODY_OVERHEAD_BYTES = 64 * 1024


class PerUserRateThrottle(UserRateThrottle):
    """DRF's per-user throttle (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"], PLATELENS_RATE_LIMIT),
    reading the rate at request time so that a settings change applies without a restart."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


def file_too_large(size: int | None = None, *, limit: int | None = None, field: str = "") -> ServiceError:
    """The one refusal of an oversize upload (413); `size` None when only the request body is known."""
    limit = limit or settings.PLATELENS_MAX_UPLOAD_BYTES
    message = (
        f"The file has {size} bytes; the limit is {limit} bytes."
        if size is not None
        else f"The request body is larger than the upload limit ({limit} bytes)."
    )
    return ServiceError("file_too_large", message, status=413, details={"field": field} if field else None)


def check_upload_size(size: int, *, limit: int | None = None, field: str = "") -> None:
    if size > (limit or settings.PLATELENS_MAX_UPLOAD_BYTES):
        raise file_too_large(size, limit=limit, field=field)


def reject_oversize_body(request) -> None:
    """Refuse an oversize upload from its Content-Length, before the body is read: room for the file as
    base64 (4/3) plus the other fields."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.PLATELENS_MAX_UPLOAD_BYTES * 4 // 3 + BODY_OVERHEAD_BYTES:
        raise file_too_large()


def decode_base64(value: str, *, field: str, max_encoded_chars: int | None = None) -> bytes:
    """Decode a base64 image: a data: URI prefix, line breaks and missing padding are tolerated. Refuses
    (413) more than `max_encoded_chars` characters (a vendor's documented limit) or a decoded image above
    the upload limit."""
    if max_encoded_chars is not None and len(value) > max_encoded_chars:
        raise file_too_large(len(value), limit=max_encoded_chars, field=field)
    text = re.sub(r"\s+", "", _DATA_URI.sub("", value.strip(), count=1))
    if not text:
        raise ServiceError("missing_image", f"{field} is empty.", details={"field": field})
    check_upload_size(len(text) * 3 // 4, field=field)
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ServiceError(
            "invalid_base64", f"{field} is not a valid base64 string.", details={"field": field}
        ) from exc


def read_upload(uploaded, *, field: str = "") -> bytes:
    """The bytes of an uploaded file, refused before reading when it is over the upload limit."""
    if uploaded.size is not None:
        check_upload_size(uploaded.size, field=field)
    return uploaded.read()
