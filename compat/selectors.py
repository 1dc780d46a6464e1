"""Reads of the compatible APIs: per-user monthly usage against the quota, webhooks of a user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from .models import ApiCall, Webhook


@dataclass(frozen=True)
class Usage:
    month: int
    year: int
    calls: int  # recognition calls this calendar month (UTC)
    max_calls: int | None  # PLATELENS_MONTHLY_QUOTA, None when unlimited
    resets_on: dt.datetime


def month_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    now = now.astimezone(dt.UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def usage_for(*, user, now: dt.datetime | None = None) -> Usage:
    start, end = month_bounds(now or timezone.now())
    calls = ApiCall.objects.filter(user=user, created_on__gte=start, created_on__lt=end).count()
    quota = settings.PLATELENS_MONTHLY_QUOTA
    return Usage(
        month=start.month,
        year=start.year,
        calls=calls,
        max_calls=quota or None,
        resets_on=end,
    )


def calls_ever(*, user) -> int:
    """Every recognition call `user` was served, all months together (/v1/statistics/ without a quota)."""
    return ApiCall.objects.filter(user=user).count()


def webhook_list(*, owner):
    return Webhook.objects.filter(owner=owner)
