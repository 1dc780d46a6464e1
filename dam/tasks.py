"""Celery tasks of the DAM app. Tasks take ids, re-fetch the row and call one service."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.db import InterfaceError, OperationalError

from platelens.errors import ServiceError

from .models import Asset
from .services import asset_mark_retrying, asset_recognize, assets_sweep_stuck

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
        asset_recognize(asset=asset)
    except ServiceError as exc:
        logger.warning("asset %s failed: %s %s", asset_id, exc.code, exc.message)
        return f"failed ({exc.code})"
    except FileNotFoundError:
        return "failed (file_missing)"
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            raise
        try:
            asset_mark_retrying(asset=asset, error=f"{type(exc).__name__}: {exc}")
        except TRANSIENT_ERRORS:
            logger.exception("could not record the retry of asset %s", asset_id)
        countdown = min(60, 2**self.request.retries) + random.uniform(0, 1)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return "done"


@shared_task(acks_late=True)
def sweep_stuck_assets() -> dict:
    """Beat task: re-queue assets a dead worker left in processing (or whose message was lost)."""
    return assets_sweep_stuck()
