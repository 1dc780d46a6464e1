"""Writes of the DAM app: create assets from bytes, run recognition, review readings, delete, reprocess, sweep.

Every function here is keyword-only, validates its input, and sends dam.signals after each write that
changes what an asset looks like to search (readings, review, metadata) and before deletes."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from plates.base import box_iou
from plates.errors import ImageError, PlatesError
from plates.images import decode_image

from .errors import ServiceError
from .models import Asset, PlateReading
from .signals import assets_changed, assets_deleted

logger = logging.getLogger(__name__)

# A new model reading that overlaps a human-reviewed one this much is the same plate: the review wins.
SAME_PLATE_IOU = 0.5
_PLATE_JUNK = re.compile(r"[\s\-_.·]+")


def normalize_plate(text: str) -> str:
    """Plates are stored as the engine writes them: lower-case, no spaces or separators."""
    return _PLATE_JUNK.sub("", text or "").lower()


def _coerce_timestamp(timestamp: dt.datetime | str | None) -> dt.datetime | None:
    if timestamp in (None, ""):
        return None
    if isinstance(timestamp, str):
        parsed = parse_datetime(timestamp.strip())
        if parsed is None:
            raise ServiceError("invalid_timestamp", f"{timestamp!r} is not an ISO 8601 date-time.")
        timestamp = parsed
    if not isinstance(timestamp, dt.datetime):
        raise ServiceError("invalid_timestamp", "timestamp must be a date-time.")
    if timezone.is_naive(timestamp):
        timestamp = timezone.make_aware(timestamp, dt.UTC)
    return timestamp


def _enqueue_recognition(asset_ids: list[int]) -> None:
    """Queue recognition once the current transaction commits (the worker must see the rows)."""
    from .tasks import recognize_asset

    for asset_id in asset_ids:
        transaction.on_commit(lambda asset_id=asset_id: recognize_asset.delay(asset_id))


def _changed(asset_ids: list[int]) -> None:
    if asset_ids:
        assets_changed.send(sender=Asset, asset_ids=list(asset_ids))


def asset_create(
    *,
    owner,
    data: bytes,
    filename: str = "",
    camera_id: str = "",
    timestamp: dt.datetime | str | None = None,
    enqueue: bool = True,
) -> tuple[Asset, bool]:
    """Store uploaded bytes as an asset of `owner`. Returns (asset, created); the same bytes uploaded again
    by the same owner return (existing asset, False) without a second copy or a second recognition."""
    max_bytes = settings.PLATELENS_MAX_UPLOAD_BYTES
    if len(data) > max_bytes:
        raise ServiceError(
            "file_too_large", f"The file has {len(data)} bytes; the limit is {max_bytes} bytes.", status=413
        )
    try:
        decoded = decode_image(data, max_megapixels=settings.PLATELENS_MAX_MEGAPIXELS)
    except ImageError as exc:
        raise ServiceError(exc.code, exc.message, status=400) from exc
    timestamp = _coerce_timestamp(timestamp)
    sha1 = hashlib.sha1(data).hexdigest()

    existing = Asset.objects.filter(owner=owner, sha1=sha1).first()
    if existing is not None:
        return existing, False

    asset = Asset(
        owner=owner,
        original_filename=PurePath(filename or "").name[:255],
        sha1=sha1,
        content_type=decoded.content_type,
        size=len(data),
        width=decoded.width,
        height=decoded.height,
        camera_id=(camera_id or "").strip(),
        timestamp=timestamp,
    )
    try:
        asset.full_clean(exclude=["file"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ServiceError("invalid", "The asset's fields are not valid.", details=exc.message_dict) from exc
    asset.file.save(asset.original_filename or "upload", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            asset.save()
            _changed([asset.pk])
            if enqueue:
                _enqueue_recognition([asset.pk])
    except IntegrityError:
        # The same owner uploaded the same bytes concurrently: keep theirs, drop our copy.
        asset.file.storage.delete(asset.file.name)
        existing = Asset.objects.filter(owner=owner, sha1=sha1).first()
        if existing is None:
            raise
        return existing, False
    return asset, True


def _set_status(asset: Asset, status: str, **fields: Any) -> None:
    now = timezone.now()
    Asset.objects.filter(pk=asset.pk).update(status=status, status_changed_at=now, **fields)
    asset.status = status
    asset.status_changed_at = now
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):
            setattr(asset, name, value)


@transaction.atomic
def readings_record(*, asset: Asset, result: dict, model_version: str) -> list[PlateReading]:
    """Replace the model's readings of `asset` with `result["results"]`. Human-reviewed readings are kept
    untouched, and a new reading of the same plate (overlapping box) is dropped in their favour."""
    if not Asset.objects.filter(pk=asset.pk).exists():
        return []  # deleted while the engine ran
    reviewed = list(asset.readings.exclude(review_status=PlateReading.Review.UNREVIEWED))
    asset.readings.filter(review_status=PlateReading.Review.UNREVIEWED).delete()
    created = []
    now = timezone.now()
    for index, item in enumerate(result.get("results") or []):
        box = item.get("box") or {}
        if any(box_iou(box, kept.box) >= SAME_PLATE_IOU for kept in reviewed):
            continue
        region = item.get("region") or {}
        created.append(
            PlateReading(
                asset=asset,
                index=index,
                plate=normalize_plate(str(item.get("plate", ""))),
                score=float(item.get("score") or 0.0),
                dscore=float(item.get("dscore") or 0.0),
                box=box,
                polygon=item.get("polygon") or [],
                region_code=str(region.get("code") or ""),
                region_score=float(region.get("score") or 0.0),
                color=str(item.get("color") or ""),
                candidates=item.get("candidates") or [],
                model_version=model_version,
                created_on=now,
            )
        )
    PlateReading.objects.bulk_create(created)
    processing_time = result.get("processing_time")
    _set_status(
        asset,
        Asset.Status.DONE,
        error="",
        model_version=model_version,
        processing_time_ms=float(processing_time) if processing_time is not None else None,
    )
    _changed([asset.pk])
    return created


def asset_recognize(
    *, asset: Asset, regions=(), engine_options: dict | None = None, worker: str = ""
) -> dict:
    """Run the engine in this process on the stored file, store its readings, and return its result
    (Plate Recognizer shape). Engine refusals mark the asset failed and raise ServiceError; a file the
    storage cannot give right now raises OSError and leaves the asset to be retried. `worker` names the
    Celery node that claims it (see assets_requeue_claimed)."""
    _set_status(asset, Asset.Status.PROCESSING, error="", attempts=F("attempts") + 1, claimed_by=worker)
    with asset.file.open("rb") as handle:  # OSError: shared storage missing or flaky here; retried
        data = handle.read()
    try:
        from plates.pipeline import get_pipeline  # models load on first use, in the worker

        pipeline = get_pipeline()
        result = pipeline.recognize(
            data,
            filename=asset.original_filename or PurePath(asset.file.name).name,
            regions=tuple(regions or settings.PLATELENS_DEFAULT_REGIONS),
            max_megapixels=settings.PLATELENS_MAX_MEGAPIXELS,
            **(engine_options or {}),
        )
    except PlatesError as exc:
        _set_status(asset, Asset.Status.FAILED, error=f"{exc.code}: {exc.message}")
        _changed([asset.pk])
        raise ServiceError(exc.code, exc.message, status=400 if isinstance(exc, ImageError) else 503) from exc
    except Exception as exc:
        _set_status(asset, Asset.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        _changed([asset.pk])
        raise
    readings_record(asset=asset, result=result, model_version=str(pipeline.version))
    return result


@transaction.atomic
def assets_requeue_claimed(*, worker: str) -> list[int]:
    """A Celery node (re)started: whatever it had claimed is orphaned (it runs nothing yet), so it goes back
    to the queue at once instead of waiting for the sweep. Node names must be unique (`-n name@%h`)."""
    if not worker:
        return []
    ids = list(
        Asset.objects.filter(status=Asset.Status.PROCESSING, claimed_by=worker).values_list("pk", flat=True)
    )
    Asset.objects.filter(pk__in=ids).update(
        status=Asset.Status.PENDING, status_changed_at=timezone.now(), claimed_by=""
    )
    _enqueue_recognition(ids)
    if ids:
        logger.warning("worker %s restarted: re-queued %d assets it had claimed", worker, len(ids))
    return ids


def asset_mark_retrying(*, asset: Asset, error: str) -> None:
    """A transient failure: back to pending so the retried task (or the sweep) picks the asset up. The try
    does not count towards PLATELENS_MAX_ATTEMPTS, which is for images that kill the worker."""
    _set_status(asset, Asset.Status.PENDING, error=f"retrying: {error}"[:2000], attempts=F("attempts") - 1)


@transaction.atomic
def reading_review(
    *, reading: PlateReading, reviewer, status: str, corrected_plate: str = ""
) -> PlateReading:
    """Record a human decision on a reading. A correction becomes the truth for search and metadata."""
    if status not in PlateReading.Review.values:
        raise ServiceError(
            "invalid_review_status", f"status must be one of {', '.join(PlateReading.Review.values)}."
        )
    corrected = normalize_plate(corrected_plate)
    if status == PlateReading.Review.CORRECTED:
        if not corrected:
            raise ServiceError("corrected_plate_required", "A correction needs the corrected plate text.")
        if len(corrected) > PlateReading._meta.get_field("corrected_plate").max_length:
            raise ServiceError("invalid", "The corrected plate text is too long.")
    else:
        corrected = ""
    reading.review_status = status
    reading.corrected_plate = corrected
    if status == PlateReading.Review.UNREVIEWED:
        reading.reviewer = None
        reading.reviewed_at = None
    else:
        reading.reviewer = reviewer
        reading.reviewed_at = timezone.now()
    reading.save(update_fields=["review_status", "corrected_plate", "reviewer", "reviewed_at"])
    _changed([reading.asset_id])
    return reading


def readings_review(*, readings, reviewer, status: str) -> int:
    """Bulk approve / reject / reset (the admin's actions). Corrections are one at a time."""
    if status == PlateReading.Review.CORRECTED:
        raise ServiceError("corrected_plate_required", "Corrections are made one reading at a time.")
    count = 0
    with transaction.atomic():
        for reading in readings:
            reading_review(reading=reading, reviewer=reviewer, status=status)
            count += 1
    return count


@transaction.atomic
def asset_update(
    *, asset: Asset, camera_id: str | None = None, timestamp: dt.datetime | str | None = ...
) -> Asset:
    """Edit the capture metadata of an asset (camera, capture time)."""
    if camera_id is not None:
        asset.camera_id = camera_id.strip()
    if timestamp is not ...:
        asset.timestamp = _coerce_timestamp(timestamp)
    try:
        asset.full_clean(exclude=["file"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ServiceError("invalid", "The asset's fields are not valid.", details=exc.message_dict) from exc
    asset.save(update_fields=["camera_id", "timestamp"])
    _changed([asset.pk])
    return asset


def asset_delete(*, asset: Asset) -> None:
    """Delete the asset, its readings and its file (the file once the deletion has committed)."""
    with transaction.atomic():
        assets_deleted.send(sender=Asset, asset_ids=[asset.pk])
        name = asset.file.name
        storage = asset.file.storage
        asset.delete()
        if name and not Asset.objects.filter(file=name).exists():
            transaction.on_commit(lambda: storage.delete(name))


def asset_reprocess(*, asset: Asset) -> None:
    """Queue recognition again (e.g. after a model upgrade); human reviews survive it."""
    assets_reprocess(assets=[asset])
    asset.refresh_from_db()


@transaction.atomic
def assets_reprocess(*, assets) -> int:
    ids = [a.pk for a in assets]
    Asset.objects.filter(pk__in=ids).update(
        status=Asset.Status.PENDING, status_changed_at=timezone.now(), error="", attempts=0
    )
    _changed(ids)
    _enqueue_recognition(ids)
    return len(ids)


@transaction.atomic
def assets_sweep_stuck(*, older_than_seconds: int | None = None, max_attempts: int | None = None) -> dict:
    """Re-queue assets left in processing (worker killed) or pending (message lost) for too long; give up
    on those already tried max_attempts times (an image that kills the worker must not loop forever)."""
    older_than = settings.PLATELENS_STUCK_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    max_attempts = settings.PLATELENS_MAX_ATTEMPTS if max_attempts is None else max_attempts
    now = timezone.now()
    stale = Asset.objects.filter(
        status__in=[Asset.Status.PENDING, Asset.Status.PROCESSING],
        status_changed_at__lte=now - dt.timedelta(seconds=older_than),
    )
    exhausted = stale.filter(status=Asset.Status.PROCESSING, attempts__gte=max_attempts)
    failed_ids = list(exhausted.values_list("pk", flat=True))
    exhausted.update(
        status=Asset.Status.FAILED,
        status_changed_at=now,
        error=f"gave up after {max_attempts} attempts (the worker stopped while processing it)",
    )
    requeue_ids = list(stale.exclude(pk__in=failed_ids).values_list("pk", flat=True))
    Asset.objects.filter(pk__in=requeue_ids).update(status=Asset.Status.PENDING, status_changed_at=now)
    _changed(failed_ids)
    _enqueue_recognition(requeue_ids)
    if failed_ids or requeue_ids:
        logger.warning("sweep: re-queued %d stuck assets, failed %d", len(requeue_ids), len(failed_ids))
    return {"requeued": requeue_ids, "failed": failed_ids}
