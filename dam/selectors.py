"""Reads of the DAM app: what a user may see, and assets in the shapes the APIs return."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

import platelens
from platelens.errors import ServiceError

from .filters import AssetFilter
from .models import Asset, PlateReading


def _visible(user) -> QuerySet[Asset]:
    """Every user sees only their own assets; staff see all."""
    if user is None or not user.is_authenticated:
        return Asset.objects.none()
    queryset = Asset.objects.select_related("owner").prefetch_related(
        Prefetch("readings", queryset=PlateReading.objects.select_related("reviewer"))
    )
    return queryset if user.is_staff else queryset.filter(owner=user)


def asset_list(*, user, filters=None) -> QuerySet[Asset]:
    """The user's assets, filtered by AssetFilter's parameters (plate, status, camera_id, ranges, ordering)."""
    queryset = _visible(user)
    if not filters:
        return queryset
    filterset = AssetFilter(filters, queryset)
    if not filterset.is_valid():
        raise ServiceError("invalid_filter", "Some filters are not valid.", details=filterset.errors)
    return filterset.qs


def asset_get(*, user, request_uuid) -> Asset:
    """One asset the user may see, or ServiceError not_found (404) - also for other users' assets."""
    try:
        key = uuid.UUID(str(request_uuid))
    except ValueError:
        raise ServiceError("not_found", "No such asset.", status=404) from None
    asset = _visible(user).filter(request_uuid=key).first()
    if asset is None:
        raise ServiceError("not_found", "No such asset.", status=404)
    return asset


def reading_get(*, asset: Asset, reading_id: int) -> PlateReading:
    reading = PlateReading.objects.filter(asset=asset, pk=reading_id).select_related("asset").first()
    if reading is None:
        raise ServiceError("not_found", "No such reading for this asset.", status=404)
    return reading


def asset_readings(asset: Asset) -> list[PlateReading]:
    return list(asset.readings.all())


def asset_plate_numbers(asset: Asset) -> list[str]:
    """The asset's plates as the truth stands (corrections applied, rejected readings dropped), written as
    their country prints them."""
    plates: list[str] = []
    for reading in asset_readings(asset):
        plate = reading.display_plate
        if plate and plate not in plates:
            plates.append(plate)
    return plates


def asset_file_path(asset: Asset) -> str:
    """Where the asset's owner fetches the file: the ownership-checked URL, never a storage path."""
    return reverse("dam:asset-file", kwargs={"request_uuid": asset.request_uuid}) if asset.file else ""


def metadata_body(
    *, request_uuid: str | None, created_on: dt.datetime, sha1: str, file_path: str, plate_numbers: list[str]
) -> dict:
    """Metadata in the Scaleflex Visual AI shape (the DAM's metadata API and compat's Scaleflex endpoint)."""
    return {
        "status": "success",
        "version": platelens.__version__,
        "result": {
            "request_uuid": request_uuid,
            "created_on": created_on.isoformat(),
            "sha1": sha1,
            "file_path": file_path,
            "plate_number": plate_numbers,
        },
    }


def asset_metadata(asset: Asset) -> dict:
    """The asset's metadata in the Scaleflex Visual AI shape."""
    return metadata_body(
        request_uuid=str(asset.request_uuid),
        created_on=asset.created_on,
        sha1=asset.sha1,
        file_path=asset_file_path(asset),
        plate_numbers=asset_plate_numbers(asset),
    )
