"""Celery tasks of the search app."""

from celery import shared_task

from search.indexing import process_outbox


@shared_task(name="search.tasks.index_pending", ignore_result=True)
def index_pending(due_only: bool = True) -> dict:
    """Process the indexing outbox; queued after each DAM commit and run periodically by beat."""
    run = process_outbox(due_only=due_only)
    return {"indexed_assets": run.indexed_assets, "failed_assets": run.failed_assets}
