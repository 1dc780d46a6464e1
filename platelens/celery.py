"""The Celery application; configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platelens.settings")

app = Celery("platelens")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def poll_the_sqlite_broker_often(sender, **_kwargs) -> None:
    """kombu's SQLAlchemy transport hands every transport option to create_engine, so its idle polling
    period can only be set on the class, before the worker connects."""
    from django.conf import settings

    if sender.app.conf.broker_url.startswith("sqla+"):
        from kombu.transport import sqlalchemy

        sqlalchemy.Transport.polling_interval = settings.PLATELENS_BROKER_POLL_SECONDS
