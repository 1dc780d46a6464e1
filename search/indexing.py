"""Keeping the index in step with the database: the outbox receivers, the outbox processor, the rebuild.

DAM services send assets_changed/assets_deleted inside their transaction. The receivers only write outbox
rows (committed or rolled back with the DAM write) and ask for processing after commit. Processing reads the
current database state of each asset and rewrites its documents; an outbox row is deleted only after the
backend accepted the write, otherwise it keeps its error and is retried with backoff (beat runs it).
A damaged index (SearchIndexCorrupt) queues one rebuild from the database: the index repairs itself."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from search.backends import SearchBackendError, get_backend
from search.backends.base import PlateDocument, SearchIndexCorrupt
from search.documents import all_documents, documents_for_assets, indexable_readings_count
from search.models import IndexOutbox, IndexRun

log = logging.getLogger(__name__)

BATCH_ASSETS = 200
CLAIM_SECONDS = 120
MAX_BACKOFF_SECONDS = 600
PARK_FOR = timedelta(hours=6)
PARKED = "parked: indexed while a rebuild ran; replayed into the new index when it ends"
REPAIR_REQUESTED = "search:index-repair-requested"
REPAIR_AT_MOST_EVERY_SECONDS = 600
RUN_AT_MOST_EVERY = timedelta(seconds=1)  # index_pending, while commits keep coming (search lags this much)
QUEUED_STALE = timedelta(seconds=60)  # a queued index_pending not started by then is presumed lost


def _claim_queued_run(now: datetime) -> bool:
    """Mark an index_pending task as queued unless one already is and has not started: True if this caller
    must queue it. One conditional UPDATE of one row, so concurrent commits (other threads, processes,
    machines) agree on a single winner; a mark older than QUEUED_STALE (its message lost) is taken over."""
    free = Q(queued_at__isnull=True) | Q(queued_at__lt=now - QUEUED_STALE)
    if IndexRun.objects.filter(free, pk=1).update(queued_at=now):
        return True
    _run, created = IndexRun.objects.get_or_create(pk=1, defaults={"queued_at": now})
    return created


def _enqueue_after_commit() -> None:
    """Queue one index_pending for this commit, or none if a queued one has not started yet: it starts after
    this commit and reads its outbox rows. Spaced RUN_AT_MOST_EVERY after the last start: a worker busy with
    a queue of uploads indexes their changes in batches instead of once per commit."""
    from search.tasks import index_pending

    now = timezone.now()
    try:
        if not _claim_queued_run(now):
            return
        last_start = IndexRun.objects.values_list("started_at", flat=True).get(pk=1)
    except DatabaseError:
        log.warning("search: could not mark index_pending queued; queueing it anyway", exc_info=True)
        last_start = None
    countdown = 0.0 if last_start is None else (last_start + RUN_AT_MOST_EVERY - now).total_seconds()
    try:
        index_pending.apply_async(countdown=countdown if countdown > 0 else None)
    except Exception:  # noqa: BLE001 - a broker outage must not fail the DAM write; beat retries the outbox
        log.warning("search: could not queue index_pending; the outbox keeps the change", exc_info=True)
        with suppress(DatabaseError):
            IndexRun.objects.filter(pk=1, queued_at=now).update(queued_at=None)  # the next commit tries again


def index_run_started() -> None:
    """Called first by every index_pending run (queued or from beat): commits from now on queue a new task,
    since this run may already have read the outbox; those before it are this run's to process."""
    now = timezone.now()
    if not IndexRun.objects.filter(pk=1).update(queued_at=None, started_at=now):
        IndexRun.objects.get_or_create(pk=1, defaults={"started_at": now})


def record_changes(asset_ids: Iterable[int], op: str = IndexOutbox.Op.INDEX) -> None:
    """Record that these assets must be re-indexed, in the caller's transaction, and process after commit."""
    ids = sorted({int(i) for i in asset_ids})
    if not ids:
        return
    now = timezone.now()
    IndexOutbox.objects.bulk_create(
        [IndexOutbox(asset_id=i, op=op, created=now, next_attempt_at=now) for i in ids]
    )
    transaction.on_commit(_enqueue_after_commit, robust=True)


def on_assets_changed(sender, asset_ids=(), **kwargs) -> None:
    record_changes(asset_ids, IndexOutbox.Op.INDEX)


def on_assets_deleted(sender, asset_ids=(), **kwargs) -> None:
    record_changes(asset_ids, IndexOutbox.Op.DELETE)


@dataclass
class OutboxRun:
    indexed_assets: int = 0
    failed_assets: int = 0


def _claim(limit: int, due_only: bool) -> dict[int, list[int]]:
    """Claim pending rows of up to `limit` assets no other worker holds; returns {asset_id: [row ids]}."""
    now = timezone.now()
    with transaction.atomic():
        busy = IndexOutbox.objects.filter(claimed_until__gt=now).values("asset_id")
        rows = (
            IndexOutbox.objects.select_for_update(skip_locked=True)
            .exclude(op=IndexOutbox.Op.REBUILD)
            .exclude(asset_id__in=busy)
        )
        if due_only:
            rows = rows.filter(next_attempt_at__lte=now)
        claimed: dict[int, list[int]] = {}
        for row_id, asset_id in rows.order_by("id").values_list("id", "asset_id")[: limit * 10]:
            if asset_id not in claimed and len(claimed) >= limit:
                continue
            claimed.setdefault(asset_id, []).append(row_id)
        ids = [i for row_ids in claimed.values() for i in row_ids]
        IndexOutbox.objects.filter(id__in=ids).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    return claimed


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, MAX_BACKOFF_SECONDS))


def process_outbox(*, due_only: bool = True, max_batches: int | None = None) -> OutboxRun:
    """Rewrite the documents of every pending asset from the database. Stops at the first backend failure
    (the engine is most likely down; the rows wait for their next attempt)."""
    run = OutboxRun()
    backend = get_backend()
    batches = 0
    while max_batches is None or batches < max_batches:
        claimed = _claim(BATCH_ASSETS, due_only)
        if not claimed:
            break
        batches += 1
        asset_ids = list(claimed)
        row_ids = [i for ids in claimed.values() for i in ids]
        try:
            backend.replace_assets(asset_ids, documents_for_assets(asset_ids))
        except SearchBackendError as exc:
            if isinstance(exc, SearchIndexCorrupt):
                request_index_repair()
            now = timezone.now()
            for row in IndexOutbox.objects.filter(id__in=row_ids):
                row.attempts += 1
                row.last_error = str(exc)[:2000]
                row.next_attempt_at = now + _backoff(row.attempts)
                row.claimed_until = None
                row.save(update_fields=["attempts", "last_error", "next_attempt_at", "claimed_until"])
            run.failed_assets += len(asset_ids)
            log.warning("search: indexing %d assets failed, will retry: %s", len(asset_ids), exc)
            break
        # Only the rows read above: a change recorded meanwhile stays queued and is processed again.
        done = IndexOutbox.objects.filter(id__in=row_ids)
        if IndexOutbox.objects.filter(op=IndexOutbox.Op.REBUILD).exists():
            # Checked after the write: the rebuild may have read these assets before this change.
            done.update(claimed_until=None, next_attempt_at=timezone.now() + PARK_FOR, last_error=PARKED)
        else:
            done.delete()
        run.indexed_assets += len(asset_ids)
    return run


@contextmanager
def rebuild_guard() -> Iterator[None]:
    """Around a rebuild that is not one transaction (Elasticsearch): changes processed meanwhile went to the
    old index, so they are parked instead of deleted and replayed into the new index afterwards. A crashed
    rebuild leaves its marker; parked rows then come back on their own after PARK_FOR."""
    marker = IndexOutbox.objects.create(
        asset_id=0, op=IndexOutbox.Op.REBUILD, next_attempt_at=timezone.now() + PARK_FOR
    )
    try:
        yield
    finally:
        marker.delete()
        IndexOutbox.objects.filter(last_error=PARKED).update(next_attempt_at=timezone.now(), last_error="")


def pending_count() -> int:
    return IndexOutbox.objects.exclude(op=IndexOutbox.Op.REBUILD).count()


@dataclass
class RebuildRun:
    expected: int  # searchable readings in the database when the rebuild ended
    indexed: int  # documents the rebuild wrote
    in_index: int  # documents the index holds afterwards
    replayed: int  # assets changed while it ran, written again afterwards


def rebuild_index(
    progress: Callable[[Iterator[PlateDocument], int], Iterable[PlateDocument]] = lambda docs, _total: docs,
) -> RebuildRun:
    """Rebuild the whole index from the database (`progress` wraps the document stream, e.g. with tqdm)."""
    backend = get_backend()
    documents = progress(all_documents(), indexable_readings_count())
    guard = nullcontext() if backend.atomic_rebuild else rebuild_guard()
    with guard:
        indexed = backend.rebuild(documents)
    # Changes made while it ran, and those waiting for a retry (the engine just took a whole rebuild).
    replayed = process_outbox(due_only=False).indexed_assets
    backend.refresh()
    # Counted again at the end: readings may have changed while it ran.
    return RebuildRun(indexable_readings_count(), indexed, backend.count(), replayed)


def request_index_repair() -> None:
    """Queue one rebuild of a damaged index (at most one per process every REPAIR_AT_MOST_EVERY_SECONDS)."""
    from search.tasks import repair_index

    if not cache.add(REPAIR_REQUESTED, True, timeout=REPAIR_AT_MOST_EVERY_SECONDS):
        return
    log.error("search: the index is damaged; a rebuild from the database is queued")
    try:
        repair_index.delay()
    except Exception:  # noqa: BLE001 - `manage.py search_reindex` repairs it too; searches answer 503 meanwhile
        cache.delete(REPAIR_REQUESTED)
        log.warning("search: could not queue repair_index", exc_info=True)
