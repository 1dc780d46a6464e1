"""Celery tasks of the DAM app. Tasks take ids, re-fetch the row and call one service."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from platelens.errors import ServiceError

from .models import Asset
from .services import (
    asset_mark_retrying,
    asset_recognize,
    assets_requeue_claimed,
    assets_sweep_stuck,
    engine_request_run,
)

logger = logging.getLogger(__name__)

# Worth another try: the database was locked or went away, the storage had a hiccup.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, ConnectionError, TimeoutError)
MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def recognize_asset(self, asset_id: int) -> str:
    """Run recognition for one asset. Idempotent: re-running replaces the model's readings and keeps reviews;
    an asset already done or failed (e.g. a duplicate message after a sweep) is left alone."""
    asset = Asset.objects.filter(pk=asset_id).first()
    if asset is None:
        return "deleted"
    if asset.status not in (Asset.Status.PENDING, Asset.Status.PROCESSING):
        return f"skipped ({asset.status})"
    try:
        asset_recognize(asset=asset, worker=self.request.hostname or "")
    except ServiceError as exc:
        logger.warning("asset %s failed: %s %s", asset_id, exc.code, exc.message)
        return f"failed ({exc.code})"
    except TRANSIENT_ERRORS as exc:
        # A file missing on this worker is transient too (shared storage not mounted yet, a replica lagging).
        # The asset waits in pending; once these retries are spent the sweep keeps trying, never "failed".
        logger.warning("asset %s: %s (%s)", asset_id, transient_reason(exc), exc)
        try:
            asset_mark_retrying(asset=asset, error=transient_reason(exc))
        except TRANSIENT_ERRORS:
            logger.exception("could not record the retry of asset %s", asset_id)
        if self.request.retries >= self.max_retries:
            return "retrying (left to the sweep)"
        countdown = min(60, 2**self.request.retries) + random.uniform(0, 1)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return "done"


def transient_reason(exc: Exception) -> str:
    """What the user sees on the asset while it waits for a retry: the cause, not the library's text."""
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError | TimeoutError):
        return "the stored image could not be read from the media storage"
    if isinstance(exc, OperationalError | InterfaceError):
        return "the database was busy or unreachable"
    return "a temporary connection problem"


@worker_ready.connect(dispatch_uid="dam-requeue-claimed-on-worker-ready")
def requeue_claimed_on_worker_ready(sender, **kwargs) -> None:
    """A restarted worker takes back at once what it held when it died (no wait for the sweep)."""
    assets_requeue_claimed(worker=getattr(sender, "hostname", "") or "")


@shared_task(ignore_result=False, acks_late=False)
def engine_request(request: dict) -> dict:
    """A synchronous API's recognition (dam.engine.call waits for this reply). Not acked late: if the worker
    dies, the caller's timeout answers, and running it again later would be for no one."""
    return engine_request_run(request=request)


@shared_task(acks_late=True)
def sweep_stuck_assets() -> dict:
    """Beat task: re-queue assets a dead worker left in processing (or whose message was lost)."""
    return assets_sweep_stuck()
