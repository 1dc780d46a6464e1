"""image.done webhooks: build the Plate Recognizer payload, queue one delivery per active webhook after the
transaction commits, attempt a delivery, and disable a webhook that keeps failing (owner told by e-mail and
in the admin)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from platelens.errors import ServiceError

from . import ssrf
from .models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
USER_AGENT = "platelens-webhook/1"


def max_attempts() -> int:
    """Attempts per delivery (the first try plus retries)."""
    return settings.PLATELENS_WEBHOOK_MAX_ATTEMPTS


def disable_after() -> int:
    """Consecutive failed deliveries after which a webhook is disabled."""
    return settings.PLATELENS_WEBHOOK_DISABLE_AFTER


def backoff_seconds(attempt: int) -> int:
    """Delay before retry number `attempt` (1-based): 10 s, 20 s, 40 s, ... capped at one hour."""
    base = settings.PLATELENS_WEBHOOK_BACKOFF_SECONDS
    return min(3600, base * 2 ** max(0, attempt - 1))


def image_done_enqueue(*, owner, recognition) -> list[int]:
    """Create a pending delivery per active image.done webhook of `owner` for `recognition` (a
    dam.services.ImageRecognition); the Celery task is queued when the surrounding transaction commits."""
    from .shapes import platerecognizer

    hooks = list(Webhook.objects.filter(owner=owner, is_active=True, event=Webhook.Event.IMAGE_DONE))
    if not hooks:
        return []
    data = platerecognizer.recognition_body(recognition, filename=recognition.result.filename)
    ids = []
    for hook in hooks:
        delivery = WebhookDelivery.objects.create(
            webhook=hook,
            event=hook.event,
            payload=platerecognizer.webhook_payload(webhook=hook, data=data),
            asset=recognition.asset,
        )
        ids.append(delivery.id)
        transaction.on_commit(lambda pk=delivery.id: _queue(pk), robust=True)
    return ids


def _queue(delivery_id: int) -> None:
    from .tasks import deliver_webhook

    deliver_webhook.delay(delivery_id)


def stale_after_seconds() -> int:
    return settings.PLATELENS_WEBHOOK_STALE_SECONDS


def deliveries_requeue(*, now=None) -> int:
    """Re-queue pending deliveries whose attempt is long overdue (their task was lost: broker or worker
    crash). Returns how many were queued."""
    now = now or timezone.now()
    stale = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lt=now - dt.timedelta(seconds=stale_after_seconds()),
    ).values_list("pk", flat=True)
    ids = list(stale[:500])
    WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now)
    for pk in ids:
        _queue(pk)
    return len(ids)


class Outcome:
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


def delivery_attempt(delivery_id: int) -> str:
    """POST the payload once. Returns an Outcome; on the last failed attempt the delivery is marked failed
    and the webhook's consecutive failures grow (disabled at the threshold)."""
    delivery = (
        WebhookDelivery.objects.select_related("webhook", "webhook__owner").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return Outcome.SKIPPED
    hook = delivery.webhook
    if not hook.is_active:
        delivery.status = WebhookDelivery.Status.SKIPPED
        delivery.finished_on = timezone.now()
        delivery.save(update_fields=["status", "finished_on"])
        return Outcome.SKIPPED

    delivery.attempts += 1
    error, status = "", None
    try:
        ssrf.check_webhook_target(hook.target)  # again at send time: DNS may have changed since registration
        response = requests.post(
            hook.target,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            **_body(delivery),
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except ServiceError as exc:
        error = exc.message
    except requests.RequestException as exc:
        error = ssrf.outbound_failure(exc, hook.target)

    delivery.response_status = status
    delivery.last_error = error
    if not error:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.finished_on = timezone.now()
        delivery.save()
        Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=0)
        return Outcome.DELIVERED
    if delivery.attempts < max_attempts():
        delivery.next_attempt_at = timezone.now() + dt.timedelta(seconds=backoff_seconds(delivery.attempts))
        delivery.save()
        return Outcome.RETRY
    delivery.status = WebhookDelivery.Status.FAILED
    delivery.finished_on = timezone.now()
    delivery.save()
    _record_failure(hook, error)
    return Outcome.FAILED


def _body(delivery: WebhookDelivery) -> dict:
    """requests' body arguments: JSON ("Data Only"), or for a webhook with image multipart/form-data with
    `json` (the same payload, encoded) and `upload` (the image; left out when the image was not stored)."""
    if not delivery.webhook.with_image:
        return {"json": delivery.payload}
    files = {"json": (None, json.dumps(delivery.payload))}  # a plain form field, not a file
    asset = delivery.asset
    if asset is not None and asset.file:
        with asset.file.open("rb") as handle:
            image = handle.read()
        name = asset.original_filename or asset.file.name.rsplit("/", 1)[-1]
        files["upload"] = (name, image, asset.content_type or "application/octet-stream")
    return {"files": files}


def _record_failure(hook: Webhook, error: str) -> None:
    with transaction.atomic():
        Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=F("consecutive_failures") + 1)
        hook.refresh_from_db()
        if not hook.is_active or hook.consecutive_failures < disable_after():
            return
        hook.is_active = False
        hook.disabled_at = timezone.now()
        hook.disabled_reason = (
            f"Disabled after {hook.consecutive_failures} consecutive failed deliveries; last error: {error}"
        )
        hook.notice_acknowledged = False
        hook.save(update_fields=["is_active", "disabled_at", "disabled_reason", "notice_acknowledged"])
    logger.warning("webhook %s disabled: %s", hook.pk, hook.disabled_reason)
    if hook.owner.email:
        send_mail(
            subject="platelens: webhook disabled",
            message=f"Your webhook {hook.target} was disabled.\n\n{hook.disabled_reason}\n\n"
            'Fix the receiver, then re-enable it in the admin (Webhooks, action "Re-enable").',
            from_email=None,
            recipient_list=[hook.owner.email],
            fail_silently=True,
        )
