"""Signal handlers of the compatible APIs: every recognition (DAM worker, `ingest --now`, the compatible APIs
themselves) sends image.done to its owner's webhooks."""

from __future__ import annotations

from django.db import transaction

from dam.signals import asset_recognized

from .webhooks import image_done_enqueue


def image_done_on_recognized(sender, recognition, **kwargs) -> None:
    """Record one delivery per active image.done webhook in the caller's transaction; their tasks are
    queued on commit (image_done_enqueue uses transaction.on_commit)."""
    with transaction.atomic():
        image_done_enqueue(owner=recognition.owner, recognition=recognition)


def register_signal_handlers() -> None:
    asset_recognized.connect(image_done_on_recognized, dispatch_uid="compat-image-done-on-recognized")
