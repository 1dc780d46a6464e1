"""Fixtures shared by every test package."""

import pytest


@pytest.fixture
def celery_eager():
    """Run Celery tasks in-process (retries included, countdowns skipped), restoring the setting after."""
    from platelens.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
