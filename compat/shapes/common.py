"""Helpers shared by the vendor shapes: error code groups and number formatting."""

from __future__ import annotations

import datetime as dt


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
