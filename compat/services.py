"""Writes of the compatible APIs: recognize through the DAM service once for every vendor shape, usage
counting and quota, webhook registration. Views call these and translate the result (or the ServiceError) per vendor."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth import get_user_model

from dam import services as dam_services
from platelens.errors import ServiceError
from plates.base import RecognizeOptions
from plates.errors import ImageError
from plates.images import ImageFacts, probe_image

from . import selectors, ssrf
from .models import ApiCall, Webhook


def image_probe(data: bytes, *, formats: set[str] | None = None) -> ImageFacts:
    """Format and size from the header only (vendors constrain these before any decoding); bombs and
    images over PLATELENS_MAX_MEGAPIXELS are refused here, in the caller's own error shape. `formats`, if
    given, are the Pillow format names the vendor accepts (others: unsupported_format)."""
    try:
        facts = probe_image(data, max_megapixels=settings.PLATELENS_MAX_MEGAPIXELS)
    except ImageError as exc:
        raise ServiceError(exc.code, exc.message, details={"field": "upload"}) from exc
    if formats is not None and facts.format not in formats:
        raise ServiceError(
            "unsupported_format",
            f"{facts.format or 'This'} images are not supported ({', '.join(sorted(formats))}).",
        )
    return facts


def store_images_default() -> bool:
    return settings.PLATELENS_STORE_IMAGES


def quota_check(*, user) -> None:
    usage = selectors.usage_for(user=user)
    if usage.max_calls and usage.calls >= usage.max_calls:
        raise ServiceError(
            "quota_exceeded",
            f"The monthly quota of {usage.max_calls} recognition calls is used up; it resets on "
            f"{usage.resets_on:%Y-%m-%d}.",
            status=429,
        )


def recognition_run(
    *,
    user,
    api: str,
    data: bytes,
    filename: str = "",
    regions: tuple[str, ...] = (),
    camera_id: str = "",
    timestamp: dt.datetime | None = None,
    options: RecognizeOptions | None = None,
    region_strict: bool = False,
    store: bool | None = None,
) -> dam_services.ImageRecognition:
    """Recognize one image for `user` through the DAM's one recognition service (stored as an asset unless
    `store` is False or PLATELENS_STORE_IMAGES is off) and count the call; image.done webhooks follow from
    dam.signals.asset_recognized. Raises ServiceError (quota, size, image, engine errors)."""
    quota_check(user=user)
    store = store_images_default() if store is None else (store and store_images_default())
    started = time.monotonic()
    recognized = dam_services.image_recognize(
        owner=user,
        data=data,
        filename=filename,
        camera_id=camera_id,
        timestamp=timestamp,
        regions=regions,
        options=options,
        region_strict=region_strict,
        store=store,
    )
    elapsed_ms = (time.monotonic() - started) * 1000.0
    ApiCall.objects.create(
        user=user,
        api=api,
        asset=recognized.asset,
        plates=len(recognized.result.results),
        processing_time_ms=elapsed_ms,
    )
    return recognized


def sdk_user():
    """The service user PLATELENS_SDK_USER that serves SDK-mode requests; created (no password) if missing."""
    user, created = get_user_model().objects.get_or_create(username=settings.PLATELENS_SDK_USER)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def webhook_create(
    *, owner, target: str, event: str = Webhook.Event.IMAGE_DONE, with_image: bool = False
) -> Webhook:
    if event not in Webhook.Event.values:
        raise ServiceError(
            "invalid_parameter",
            f"Unknown event {event!r}; supported: image.done.",
            details={"field": "event"},
        )
    ssrf.check_webhook_target(target)
    webhook = Webhook(owner=owner, target=target, event=event, with_image=with_image)
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
