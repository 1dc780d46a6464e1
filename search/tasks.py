"""Celery tasks of the search app."""

from celery import shared_task
from django.core.cache import cache

from search.indexing import REPAIR_REQUESTED, index_run_started, process_outbox, rebuild_index


@shared_task(name="search.tasks.index_pending", ignore_result=True)
def index_pending(due_only: bool = True) -> dict:
    """Process the indexing outbox; queued after DAM commits (one task for those that commit before it starts)
    and run periodically by beat."""
    index_run_started()
    run = process_outbox(due_only=due_only)
    return {"indexed_assets": run.indexed_assets, "failed_assets": run.failed_assets}


@shared_task(name="search.tasks.repair_index", ignore_result=True)
def repair_index() -> dict:
    """Rebuild a damaged index from the database (queued when a search or an index write finds it damaged)."""
    try:
        run = rebuild_index()
    finally:
        cache.delete(REPAIR_REQUESTED)
    return {"indexed": run.indexed, "in_index": run.in_index, "expected": run.expected}
