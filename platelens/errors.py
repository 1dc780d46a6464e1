"""One application error type (ServiceError) for every app, the one translation of Django and DRF
exceptions into it (the compatible APIs render the result in each vendor's shape), and one DRF handler that
gives every platelens API error one JSON shape: `{"error": {"code": "...", "message": "...", "details":
...}}` (details only when there are some)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ServiceError(Exception):
    """A refusal by a service, with a stable machine-readable code and the HTTP status it maps to."""

    def __init__(self, code: str, message: str, status: int = 400, details: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r}, status={self.status})"


# DRF exception classes whose default codes we rename to something a client can act on.
_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "invalid",
}


def as_service_error(exc: Exception) -> ServiceError | None:
    """The one error type for DRF and Django exceptions raised before a view body runs (authentication,
    throttling, parsing, body size); None for the others."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, RequestDataTooBig):
        from .edge import file_too_large

        return file_too_large()
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait) if exc.wait is not None else 1
        return ServiceError(
            "rate_limited",
            f"Request was throttled. Expected available in {wait} seconds.",
            status=429,
            details={"retry_after": wait},
        )
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return ServiceError(_CODES[type(exc)], str(exc.detail), status=401)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return ServiceError("method_not_allowed", str(exc.detail), status=405)
    if isinstance(exc, exceptions.UnsupportedMediaType | exceptions.ParseError):
        return ServiceError("invalid_parameter", str(exc.detail), status=400)
    return None


def error_body(code: str, message: str, details: Any = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if details not in (None, "", [], {}):
        body["details"] = details
    return {"error": body}


def _message(detail: Any) -> str:
    """The first human-readable message inside a DRF error detail (str, list or dict)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _message(value)
            return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
        return "Invalid input."
    if isinstance(detail, list):
        return _message(detail[0]) if detail else "Invalid input."
    return str(detail)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: map every known error to the one JSON shape."""
    if isinstance(exc, ServiceError | RequestDataTooBig):
        error = as_service_error(exc)
        return Response(error_body(error.code, error.message, error.details), status=error.status)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body("bad_request", str(exc) or "Bad request."), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)  # sets WWW-Authenticate and Retry-After headers
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next((c for cls, c in _CODES.items() if type(exc) is cls), None)
    if code is None:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(code, _message(exc.detail), exc.detail)
    elif isinstance(exc, exceptions.Throttled):
        response.data = error_body(code, _message(exc.detail), {"retry_after": exc.wait})
    else:
        response.data = error_body(code, _message(exc.detail))
    return response
