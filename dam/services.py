"""Writes of the DAM app: create assets from bytes, run recognition, review readings, delete, reprocess, sweep.

Every function here is keyword-only, validates its input, and sends dam.signals after each write that
changes what an asset looks like to search (readings, review, metadata) and before deletes."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from platelens import edge
from platelens.errors import ServiceError
from plates.base import Recognition, RecognizeOptions
from plates.display import region_country
from plates.errors import ImageError, PlatesError
from plates.images import decode_image
from plates.text import normalize

from . import engine
from .models import Asset, PlateReading
from .signals import asset_recognized, assets_changed, assets_deleted

logger = logging.getLogger(__name__)

# A new model reading that overlaps a human-reviewed one this much is the same plate: the review wins.
SAME_PLATE_IOU = 0.5


def normalize_plate(text: str) -> str:
    """The stored form of a plate: plates.text.normalize in lower case, as the engine writes plates."""
    return normalize(text).lower()


@dataclass(frozen=True)
class ImageRecognition:
    """One recognition as every consumer sees it (compat's answers and webhooks, the asset_recognized
    signal): the engine result and where it came from."""

    owner: Any
    asset: Asset | None  # None when the image was not stored
    result: Recognition
    engine_version: str
    camera_id: str
    timestamp: dt.datetime  # when the image was taken, or when it was recognized when unknown


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
    by the same owner return (existing asset, False) without a second copy or a second recognition. The
    capture facts sent with a re-upload (a non-empty camera_id, a timestamp) replace the stored ones; the
    asset's `updated_fields` names those that changed (empty for a new asset)."""
    edge.check_upload_size(len(data))
    try:
        # Validation and size only: a JPEG decodes at 1/8 scale (every byte still read, ~8x less work).
        decoded = decode_image(data, max_megapixels=settings.PLATELENS_MAX_MEGAPIXELS, min_side=1)
    except ImageError as exc:
        raise ServiceError(exc.code, exc.message, status=400) from exc
    timestamp = _coerce_timestamp(timestamp)
    sha1 = hashlib.sha1(data).hexdigest()

    existing = Asset.objects.filter(owner=owner, sha1=sha1).first()
    if existing is not None:
        return _capture_facts_update(existing, camera_id=camera_id, timestamp=timestamp), False

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
        return _capture_facts_update(existing, camera_id=camera_id, timestamp=timestamp), False
    asset.updated_fields = []
    return asset, True


def _capture_facts_update(asset: Asset, *, camera_id: str, timestamp: dt.datetime | None) -> Asset:
    """A re-upload's capture facts win over the stored ones (the latest upload says where and when the
    photo was taken); facts it does not send are kept."""
    changes: dict[str, Any] = {}
    camera_id = (camera_id or "").strip()
    if camera_id and camera_id != asset.camera_id:
        changes["camera_id"] = camera_id
    if timestamp is not None and timestamp != asset.timestamp:
        changes["timestamp"] = timestamp
    if changes:
        asset = asset_update(asset=asset, **changes)
    asset.updated_fields = sorted(changes)
    return asset


def _set_status(asset: Asset, status: str, **fields: Any) -> None:
    now = timezone.now()
    Asset.objects.filter(pk=asset.pk).update(status=status, status_changed_at=now, **fields)
    asset.status = status
    asset.status_changed_at = now
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):
            setattr(asset, name, value)


@transaction.atomic
def readings_record(*, asset: Asset, result: Recognition, model_version: str) -> list[PlateReading]:
    """Replace the model's readings of `asset` with `result.results`. Human-reviewed readings are kept
    untouched, and a new reading of the same plate (overlapping box) is dropped in their favour."""
    if not Asset.objects.filter(pk=asset.pk).exists():
        return []  # deleted while the engine ran
    reviewed = list(asset.readings.exclude(review_status=PlateReading.Review.UNREVIEWED))
    reviewed_boxes = [box for box in (kept.bounding_box for kept in reviewed) if box is not None]
    asset.readings.filter(review_status=PlateReading.Review.UNREVIEWED).delete()
    created = []
    now = timezone.now()
    for index, item in enumerate(result.results):
        if any(item.box.iou(box) >= SAME_PLATE_IOU for box in reviewed_boxes):
            continue
        created.append(
            PlateReading(
                asset=asset,
                index=index,
                plate=normalize_plate(item.text),
                score=item.score,
                dscore=item.dscore,
                box=item.box.as_dict(),
                polygon=[list(point) for point in item.polygon],
                region_code=item.region,
                region_score=item.region_score,
                color=item.color,
                candidates=[{"plate": c.text, "score": c.score} for c in item.candidates],
                model_version=model_version,
                created_on=now,
            )
        )
    PlateReading.objects.bulk_create(created)
    _set_status(
        asset,
        Asset.Status.DONE,
        error="",
        model_version=model_version,
        processing_time_ms=result.processing_ms,
    )
    _changed([asset.pk])
    return created


def _engine_run(
    *, data: bytes, filename: str, regions, options: RecognizeOptions | None
) -> tuple[Recognition, str]:
    """Run the engine in this process; returns (result, engine version). Raises PlatesError."""
    from plates.pipeline import get_pipeline  # models load on first use, in the process that recognizes

    pipeline = get_pipeline()
    result = pipeline.recognize(
        data,
        filename=filename,
        regions=tuple(regions or settings.PLATELENS_DEFAULT_REGIONS),
        max_megapixels=settings.PLATELENS_MAX_MEGAPIXELS,
        options=options,
    )
    return result, str(pipeline.version)


def _engine_error(exc: PlatesError) -> ServiceError:
    """Bad input is the caller's (400); anything else the engine refuses means it is unavailable (503)."""
    return ServiceError(exc.code, exc.message, status=400 if isinstance(exc, ImageError) else 503)


def _asset_engine_run(
    *, asset: Asset, regions, options: RecognizeOptions | None, worker: str = ""
) -> tuple[Recognition, str]:
    """Recognize the stored file of `asset` and store its readings. Engine refusals mark the asset failed; a
    file the storage cannot give right now raises OSError and leaves the asset to be retried. `worker` names
    the Celery node that claims it (see assets_requeue_claimed)."""
    _set_status(asset, Asset.Status.PROCESSING, error="", attempts=F("attempts") + 1, claimed_by=worker)
    with asset.file.open("rb") as handle:  # OSError: shared storage missing or flaky here; retried
        data = handle.read()
    try:
        result, version = _engine_run(
            data=data,
            filename=asset.original_filename or PurePath(asset.file.name).name,
            regions=regions,
            options=options,
        )
    except PlatesError as exc:
        _set_status(asset, Asset.Status.FAILED, error=f"{exc.code}: {exc.message}")
        _changed([asset.pk])
        raise _engine_error(exc) from exc
    except Exception as exc:
        _set_status(asset, Asset.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        _changed([asset.pk])
        raise
    readings_record(asset=asset, result=result, model_version=version)
    return result, version


def _recognized(recognition: ImageRecognition) -> ImageRecognition:
    asset_recognized.send(sender=Asset, recognition=recognition)
    return recognition


def asset_recognize(
    *, asset: Asset, regions=(), options: RecognizeOptions | None = None, worker: str = ""
) -> ImageRecognition:
    """Run the engine in this process on the stored file of `asset` (the worker task `worker`, `ingest
    --now`), store its readings and send asset_recognized. Engine refusals mark the asset failed and raise
    ServiceError; an unreadable file raises OSError (transient: the task retries)."""
    result, version = _asset_engine_run(asset=asset, regions=regions, options=options, worker=worker)
    return _recognized(
        ImageRecognition(
            owner=asset.owner,
            asset=asset,
            result=result,
            engine_version=version,
            camera_id=asset.camera_id,
            timestamp=asset.timestamp or asset.status_changed_at,
        )
    )


def _regions_only(result: Recognition, regions) -> Recognition:
    """Keep only plates whose predicted region is one of `regions`: a country keeps its states' plates, a state
    (`us-ny`) keeps its own and those whose state is unknown (`us`), not another state's (`us-ca`)."""
    if not regions:
        return result
    wanted = {r.lower() for r in regions}

    def kept(region: str) -> bool:
        region, country = region.lower(), region_country(region)
        return (
            region in wanted
            or country in wanted
            or (region == country and any(region_country(w) == country for w in wanted))
        )

    return replace(result, results=tuple(r for r in result.results if kept(r.region)))


def image_recognize(
    *,
    owner,
    data: bytes,
    filename: str = "",
    camera_id: str = "",
    timestamp: dt.datetime | str | None = None,
    regions=(),
    options: RecognizeOptions | None = None,
    region_strict: bool = False,
    store: bool = True,
) -> ImageRecognition:
    """Recognize uploaded bytes for `owner` now (the compatible APIs answer synchronously), in a worker: this
    process only waits (dam.engine). Stored as an asset (sha1-deduplicated, readings saved and indexed) unless
    `store` is False. With `region_strict` only plates of `regions` are answered (all are stored). Sends
    asset_recognized. Raises ServiceError: size, image (400), engine unavailable or no answer in time (503)."""
    edge.check_upload_size(len(data))
    timestamp = _coerce_timestamp(timestamp)
    asset = None
    if store:
        asset, _created = asset_create(
            owner=owner, data=data, filename=filename, camera_id=camera_id, timestamp=timestamp, enqueue=False
        )
        request = engine.request_for(asset_id=asset.pk, regions=regions, options=options)
    else:
        request = engine.request_for(data=data, filename=filename, regions=regions, options=options)
    result, version = engine.call(request)
    if asset is not None:
        asset.refresh_from_db()
    if region_strict:
        result = _regions_only(result, regions)
    return _recognized(
        ImageRecognition(
            owner=owner,
            asset=asset,
            result=result,
            engine_version=version,
            camera_id=camera_id,
            timestamp=timestamp or timezone.now(),
        )
    )


def engine_request_run(*, request: dict) -> dict:
    """The worker's side of image_recognize: run the engine (storing the asset's readings when the request
    names one) and reply with the result, or with the refusal as a ServiceError's fields."""
    data, options = engine.request_parts(request)
    try:
        if request["asset_id"] is not None:
            asset = Asset.objects.filter(pk=request["asset_id"]).first()
            if asset is None:
                raise ServiceError("not_found", "The image was deleted before it was recognized.", status=404)
            result, version = _asset_engine_run(asset=asset, regions=request["regions"], options=options)
        else:
            try:
                result, version = _engine_run(
                    data=data, filename=request["filename"], regions=request["regions"], options=options
                )
            except PlatesError as exc:
                raise _engine_error(exc) from exc
    except ServiceError as exc:
        return engine.reply_error(exc)
    return engine.reply_ok(result, version)


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
    # Never below 0: the failure may have come before the attempt was counted (a locked database).
    attempts = Greatest(F("attempts") - 1, Value(0))
    _set_status(asset, Asset.Status.PENDING, error=f"retrying: {error}"[:2000], attempts=attempts)


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
