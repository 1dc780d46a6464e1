"""platelens.errors: every exception the API can meet comes out in the one error shape."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions

from platelens.errors import ServiceError, api_exception_handler


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (ServiceError("not_an_image", "nope"), 400, "not_an_image"),
        (ServiceError("file_too_large", "big", status=413), 413, "file_too_large"),
        (RequestDataTooBig("big"), 413, "file_too_large"),
        (SuspiciousOperation("odd"), 400, "bad_request"),
        (Http404("gone"), 404, "not_found"),
        (PermissionDenied(), 403, "permission_denied"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (exceptions.Throttled(wait=7), 429, "rate_limited"),
        (exceptions.ValidationError({"status": ["bad choice"]}), 400, "invalid"),
        (exceptions.UnsupportedMediaType("text/csv"), 415, "unsupported_media_type"),
    ],
)
def test_one_shape(exc, status, code):
    response = api_exception_handler(exc, {})
    assert response.status_code == status
    assert response.data["error"]["code"] == code
    assert response.data["error"]["message"]


def test_details_are_kept():
    response = api_exception_handler(exceptions.ValidationError({"status": ["bad choice"]}), {})
    assert response.data["error"]["message"] == "status: bad choice"
    assert response.data["error"]["details"] == {"status": ["bad choice"]}
    assert api_exception_handler(exceptions.Throttled(wait=7), {}).data["error"]["details"] == {
        "retry_after": 7
    }


def test_unknown_errors_are_left_to_django():
    assert api_exception_handler(RuntimeError("boom"), {}) is None
