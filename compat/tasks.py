"""Celery tasks of the compatible APIs: webhook deliveries with retries and exponential backoff.

Task names keep the app's former module path (dam.compat.tasks) so messages already queued still run."""

from celery import shared_task

from . import webhooks


@shared_task(
    name="dam.compat.tasks.deliver_webhook", bind=True, max_retries=None, acks_late=True, ignore_result=True
)
def deliver_webhook(self, delivery_id: int) -> str:
    outcome = webhooks.delivery_attempt(delivery_id)
    if outcome == webhooks.Outcome.RETRY:
        raise self.retry(countdown=webhooks.backoff_seconds(self.request.retries + 1))
    return outcome


@shared_task(name="dam.compat.tasks.requeue_stale_deliveries", ignore_result=True)
def requeue_stale_deliveries() -> int:
    """Periodic (beat): deliveries whose task was lost are queued again."""
    return webhooks.deliveries_requeue()
