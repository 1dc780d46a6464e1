"""The engine runs in the worker, never in the web process: a synchronous API sends its recognition to the
`dam.tasks.engine_request` task and waits for the JSON reply (Celery result backend: SQLite by default, Redis
in production) at most PLATELENS_ENGINE_TIMEOUT_SECONDS; no worker or no answer is a 503, never a hang."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt

from celery.exceptions import TimeoutError as CeleryTimeoutError
from django.conf import settings
from kombu.exceptions import OperationalError as KombuOperationalError

from platelens.errors import ServiceError
from plates.base import BoundingBox, Candidate, PlateRead, Recognition, RecognizeOptions

# How often a waiting web thread looks at a polled result backend (SQLite): 20 waiting calls = 400 queries/s.
POLL_SECONDS = 0.05


def recognition_dump(recognition: Recognition) -> dict:
    """A Recognition as JSON-safe data (what crosses the broker)."""
    return {**dataclasses.asdict(recognition), "timestamp": recognition.timestamp.isoformat()}


def recognition_load(data: dict) -> Recognition:
    return Recognition(
        results=tuple(
            PlateRead(
                **{
                    **read,
                    "box": BoundingBox(**read["box"]),
                    "polygon": tuple(tuple(point) for point in read["polygon"]),
                    "candidates": tuple(Candidate(**c) for c in read["candidates"]),
                }
            )
            for read in data["results"]
        ),
        processing_ms=data["processing_ms"],
        filename=data["filename"],
        timestamp=dt.datetime.fromisoformat(data["timestamp"]),
    )


def request_for(
    *,
    asset_id: int | None = None,
    data: bytes | None = None,
    filename: str = "",
    regions=(),
    options: RecognizeOptions | None = None,
) -> dict:
    """A recognition request: a stored asset (the worker stores its readings) or bytes (nothing stored)."""
    return {
        "asset_id": asset_id,
        "data": base64.b64encode(data).decode("ascii") if data is not None else None,
        "filename": filename,
        "regions": list(regions or ()),
        "options": dataclasses.asdict(options or RecognizeOptions()),
    }


def request_parts(request: dict) -> tuple[bytes | None, RecognizeOptions]:
    data = request.get("data")
    return (base64.b64decode(data) if data is not None else None), RecognizeOptions(**request["options"])


def reply_error(error: ServiceError) -> dict:
    return {"error": {"code": error.code, "message": error.message, "status": error.status}}


def reply_ok(recognition: Recognition, version: str) -> dict:
    return {"result": recognition_dump(recognition), "version": version}


def call(request: dict) -> tuple[Recognition, str]:
    """Send the request to a worker and wait for its reply. Raises ServiceError: the worker's own refusal
    (bad image: 400, ...) or engine_unavailable (503) when no worker answers in time."""
    from .tasks import engine_request

    timeout = float(settings.PLATELENS_ENGINE_TIMEOUT_SECONDS)
    # expires: a request nobody picked up in time is dropped by the worker instead of run for no one.
    try:
        pending = engine_request.apply_async((request,), expires=timeout)
    except KombuOperationalError as exc:
        raise ServiceError(
            "engine_unavailable", "The task queue is unreachable; retry later.", status=503
        ) from exc
    try:
        reply = pending.get(timeout=timeout, interval=POLL_SECONDS, propagate=False)
    except CeleryTimeoutError as exc:
        raise ServiceError(
            "engine_unavailable",
            f"The recognition engine did not answer within {timeout:g} seconds; retry later.",
            status=503,
        ) from exc
    finally:
        pending.forget()
    if not isinstance(reply, dict):  # the task raised: the worker logged it
        raise ServiceError(
            "engine_unavailable",
            f"The recognition engine failed ({type(reply).__name__}); retry later.",
            status=503,
        )
    if "error" in reply:
        error = reply["error"]
        raise ServiceError(error["code"], error["message"], status=int(error["status"]))
    return recognition_load(reply["result"]), str(reply["version"])
