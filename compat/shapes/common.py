"""Helpers shared by the vendor shapes: the error every shape starts from, and number formatting."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions

from dam.errors import ServiceError


def as_service_error(exc: Exception) -> ServiceError | None:
    """Normalize DRF and Django exceptions raised before a view body runs into the one error type."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, exceptions.NotAuthenticated):
        return ServiceError("not_authenticated", "Authentication credentials were not provided.", status=401)
    if isinstance(exc, exceptions.AuthenticationFailed):
        return ServiceError("authentication_failed", str(exc.detail), status=401)
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait) if exc.wait is not None else 1
        return ServiceError(
            "rate_limited",
            f"Request was throttled. Expected available in {wait} seconds.",
            status=429,
            details={"retry_after": wait},
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        return ServiceError("method_not_allowed", str(exc.detail), status=405)
    if isinstance(exc, exceptions.UnsupportedMediaType | exceptions.ParseError):
        return ServiceError("invalid_parameter", str(exc.detail), status=400)
    if isinstance(exc, RequestDataTooBig):
        return ServiceError("file_too_large", "The request body is larger than the upload limit.", status=413)
    return None


def utc_iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def f3(value) -> float:
    return round(float(value or 0.0), 3)


AUTH_CODES = {"not_authenticated", "authentication_failed"}
IMAGE_CODES = {
    "empty_image",
    "not_an_image",
    "truncated_image",
    "image_too_large",
    "image_too_small",
    "unsupported_format",
}
