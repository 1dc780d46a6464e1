"""Writes of the compatible APIs: recognize-and-store once for every vendor shape, usage counting and
quota, webhook registration. Views call these and translate the result (or the ServiceError) per vendor."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from dam.errors import ServiceError
from plates.errors import ImageError, PlatesError
from plates.images import ImageFacts, probe_image

from . import selectors, ssrf, webhooks
from .models import ApiCall, Webhook


@dataclass(frozen=True)
class Recognition:
    """What a compatible API needs to answer: the engine result, the asset it produced (None when images
    are not stored), and the caller's usage after this call."""

    result: dict
    asset: object | None
    engine_version: str
    camera_id: str
    timestamp: dt.datetime
    usage: selectors.Usage


def image_probe(data: bytes) -> ImageFacts:
    """Format and size from the header only (vendors constrain these before any decoding); bombs and
    images over PLATELENS_MAX_MEGAPIXELS are refused here, in the caller's own error shape."""
    try:
        return probe_image(data, max_megapixels=settings.PLATELENS_MAX_MEGAPIXELS)
    except ImageError as exc:
        raise ServiceError(exc.code, exc.message, details={"field": "upload"}) from exc


def store_images_default() -> bool:
    return bool(getattr(settings, "PLATELENS_STORE_IMAGES", True))


def quota_check(*, user) -> None:
    usage = selectors.usage_for(user=user)
    if usage.max_calls and usage.calls >= usage.max_calls:
        raise ServiceError(
            "quota_exceeded",
            f"The monthly quota of {usage.max_calls} recognition calls is used up; it resets on "
            f"{usage.resets_on:%Y-%m-%d}.",
            status=429,
        )


def _engine_error(exc: PlatesError) -> ServiceError:
    if isinstance(exc, ImageError):
        return ServiceError(exc.code, exc.message, status=400, details={"field": "upload"})
    status = 503 if exc.code == "models_not_installed" else 500
    return ServiceError(exc.code, exc.message, status=status)


def _filter_regions(result: dict, regions: tuple[str, ...]) -> dict:
    """config {"region": "strict"}: keep only plates whose predicted region is one of those asked for."""
    if not regions:
        return result
    wanted = set(regions) | {r.split("-", 1)[0].split("_", 1)[0] for r in regions}
    kept = [r for r in result.get("results", []) if (r.get("region") or {}).get("code", "").lower() in wanted]
    return {**result, "results": kept}


def recognition_run(
    *,
    user,
    api: str,
    data: bytes,
    filename: str = "",
    regions: tuple[str, ...] = (),
    camera_id: str = "",
    timestamp: dt.datetime | None = None,
    engine_options: dict | None = None,
    region_strict: bool = False,
    store: bool | None = None,
) -> Recognition:
    """Recognize one image for `user`: store it as a DAM asset (sha1-deduplicated, readings saved and indexed
    for search) unless `store` is False or PLATELENS_STORE_IMAGES is off; count the call; queue image.done
    webhooks. Raises ServiceError (quota, size, image, engine errors)."""
    from dam import services as dam_services  # the DAM app's services; imported late to keep startup light

    quota_check(user=user)
    if len(data) > int(settings.PLATELENS_MAX_UPLOAD_BYTES):
        raise ServiceError(
            "file_too_large",
            f"The image is {len(data)} bytes; the limit is {settings.PLATELENS_MAX_UPLOAD_BYTES} bytes.",
            status=413,
        )
    store = store_images_default() if store is None else (store and store_images_default())
    options = {k: v for k, v in (engine_options or {}).items() if v is not None}
    started = time.monotonic()
    asset = None
    try:
        if store:
            asset, _created = dam_services.asset_create(
                owner=user,
                data=data,
                filename=filename,
                camera_id=camera_id,
                timestamp=timestamp,
                enqueue=False,
            )
            result = dam_services.asset_recognize(asset=asset, regions=regions, engine_options=options)
            engine_version = asset.model_version
        else:
            from plates.pipeline import get_pipeline

            pipeline = get_pipeline()
            engine_version = str(pipeline.version)
            result = pipeline.recognize(
                data,
                filename=filename,
                regions=tuple(regions or settings.PLATELENS_DEFAULT_REGIONS),
                max_megapixels=settings.PLATELENS_MAX_MEGAPIXELS,
                **options,
            )
    except PlatesError as exc:
        raise _engine_error(exc) from exc
    if region_strict:
        result = _filter_regions(result, regions)
    elapsed_ms = (time.monotonic() - started) * 1000.0
    ApiCall.objects.create(
        user=user, api=api, asset=asset, plates=len(result.get("results", [])), processing_time_ms=elapsed_ms
    )
    recognition = Recognition(
        result=result,
        asset=asset,
        engine_version=engine_version,
        camera_id=camera_id,
        timestamp=timestamp or timezone.now(),
        usage=selectors.usage_for(user=user),
    )
    webhooks.image_done_enqueue(owner=user, recognition=recognition)
    return recognition


def webhook_create(*, owner, target: str, event: str = Webhook.Event.IMAGE_DONE) -> Webhook:
    if event not in Webhook.Event.values:
        raise ServiceError(
            "invalid_parameter",
            f"Unknown event {event!r}; supported: image.done.",
            details={"field": "event"},
        )
    ssrf.check_webhook_target(target)
    webhook = Webhook(owner=owner, target=target, event=event)
    webhook.full_clean()
    webhook.save()
    return webhook


def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()


def webhook_enable(*, webhook: Webhook) -> Webhook:
    """Re-enable a webhook that was disabled after consecutive failures (admin action)."""
    webhook.is_active = True
    webhook.consecutive_failures = 0
    webhook.disabled_at = None
    webhook.disabled_reason = ""
    webhook.notice_acknowledged = False
    webhook.save(
        update_fields=[
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "notice_acknowledged",
        ]
    )
    return webhook
