"""Turn what vendor clients send (multipart files, base64 strings, image URLs, form fields, engine config)
into plain values, refusing bad input with platelens.errors.ServiceError (translated per vendor at the edge)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ParseError

from platelens import edge
from platelens.errors import ServiceError
from platelens.parsers import parse_json
from plates.base import RecognizeOptions

from . import ssrf

_REGION = re.compile(r"^[a-z]{2}([-_][a-z0-9]{1,5})?$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
URL_FETCH_TIMEOUT_SECONDS = 5


def fetch_url(url: str, *, field_name: str) -> tuple[bytes, str]:
    """Download an image from an allowed host (see ssrf.check_url_input); returns (bytes, file name)."""
    ssrf.check_url_input(url)
    limit = settings.PLATELENS_MAX_UPLOAD_BYTES
    try:
        with requests.get(
            url, stream=True, timeout=URL_FETCH_TIMEOUT_SECONDS, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                raise ServiceError(
                    "url_fetch_failed",
                    f"Downloading {field_name} answered HTTP {response.status_code}.",
                    details={"field": field_name},
                )
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise edge.file_too_large(size, limit=limit, field=field_name)
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise ServiceError(
            "url_fetch_failed",
            f"Downloading {field_name} failed: {ssrf.outbound_failure(exc, url)}",
            details={"field": field_name},
        ) from exc
    name = url.rsplit("/", 1)[-1].split("?", 1)[0][:200]
    return b"".join(chunks), name


def parse_bool(value, *, field_name: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return default if text == "" else False
    raise ServiceError(
        "invalid_parameter", f"{field_name} must be true or false.", details={"field": field_name}
    )


def parse_regions(values: list[str]) -> tuple[str, ...]:
    regions = []
    for value in values:
        for code in str(value).split(","):
            code = code.strip().lower()
            if not code:
                continue
            if not _REGION.match(code):
                raise ServiceError(
                    "invalid_parameter",
                    f"{code!r} is not a region code (examples: gb, fr, us-ca).",
                    details={"field": "regions"},
                )
            regions.append(code)
    return tuple(dict.fromkeys(regions))


def parse_uuid(value, *, field_name: str) -> str:
    """A client-sent GUID (kept as sent, lower-case), or a new one when the field is missing or null."""
    if value in (None, ""):
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError as exc:
        raise ServiceError(
            "invalid_parameter", f"{field_name} must be a GUID.", details={"field": field_name}
        ) from exc


def parse_timestamp(value: str | None) -> dt.datetime | None:
    """ISO 8601, UTC if no offset is given (Plate Recognizer's rule)."""
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value).strip())
    if parsed is None:
        raise ServiceError(
            "invalid_parameter",
            "timestamp must be ISO 8601, for example 2019-08-19T13:11:25.",
            details={"field": "timestamp"},
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return parsed.astimezone(dt.UTC)


@dataclass(frozen=True)
class EngineConfig:
    """Plate Recognizer's `config` JSON in the engine's vocabulary (`threshold_d`, `threshold_o`, `mode` ->
    RecognizeOptions), and `region: strict` (keep only plates of the requested regions). Their
    `detection_rule: strict` is validated and has no effect: there is no vehicle detector; other keys are
    ignored."""

    options: RecognizeOptions = field(default_factory=RecognizeOptions)
    region_strict: bool = False


def _threshold(config: dict, key: str) -> float | None:
    if key not in config or config[key] is None:
        return None
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ServiceError(
            "invalid_parameter",
            f"config.{key} must be a number between 0 and 1.",
            details={"field": "config"},
        )
    try:
        number = float(value)
    except ValueError as exc:
        raise ServiceError(
            "invalid_parameter",
            f"config.{key} must be a number between 0 and 1.",
            details={"field": "config"},
        ) from exc
    if not 0.0 <= number <= 1.0:
        raise ServiceError(
            "invalid_parameter", f"config.{key} must be between 0 and 1.", details={"field": "config"}
        )
    return number


def parse_engine_config(value) -> EngineConfig:
    if value in (None, ""):
        return EngineConfig()
    if isinstance(value, str):
        try:
            value = parse_json(value)
        except ParseError as exc:
            raise ServiceError(
                "invalid_parameter", "config must be a JSON object.", details={"field": "config"}
            ) from exc
    if not isinstance(value, dict):
        raise ServiceError("invalid_parameter", "config must be a JSON object.", details={"field": "config"})
    mode = value.get("mode") or "default"
    if mode not in ("default", "fast"):
        raise ServiceError(
            "invalid_parameter", 'config.mode must be "fast" or "default".', details={"field": "config"}
        )
    for key in ("region", "detection_rule"):
        if value.get(key) not in (None, "", "strict"):
            raise ServiceError(
                "invalid_parameter", f'config.{key} accepts only "strict".', details={"field": "config"}
            )
    return EngineConfig(
        options=RecognizeOptions(
            detection_threshold=_threshold(value, "threshold_d"),
            ocr_threshold=_threshold(value, "threshold_o"),
            fast=mode == "fast",
        ),
        region_strict=value.get("region") == "strict",
    )
