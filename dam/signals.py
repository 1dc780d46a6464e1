"""Signals the DAM app sends so other apps (search, compat) can follow changes without DAM knowing them.

Services send these after every write that changes what an asset looks like to search (readings stored,
reviewed, metadata edited, asset deleted), including bulk writes that bypass model signals. Receivers run
inside the caller's transaction: they must only record work and defer it with transaction.on_commit."""

from django.dispatch import Signal

# kwargs: asset_ids (list[int])
assets_changed = Signal()
# kwargs: asset_ids (list[int]); sent before the rows are deleted
assets_deleted = Signal()
# kwargs: recognition (dam.services.ImageRecognition); sent by every recognition path (the worker task,
# `ingest --now`, the compatible APIs), stored or not, after the readings are written
asset_recognized = Signal()
