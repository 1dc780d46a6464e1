"""Search request parameters (shared by the API and the web page) and the JSON shape of a hit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.core.files.storage import default_storage
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from search.backends.base import COUNT_LIMIT, SearchHit
from search.text import PlateQuery

MAX_PAGE_SIZE = 100
MAX_RESULT_WINDOW = COUNT_LIMIT
REVIEW_STATES = ["unreviewed", "approved", "corrected"]


class InstantField(serializers.Field):
    """An ISO date or datetime. A bare date as `to` covers that whole day (the bound is exclusive)."""

    def __init__(self, *, end: bool = False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = str(data).strip()
        try:
            # A bare date first: parse_datetime would read it as midnight.
            day = parse_date(text)
            parsed = None if day else parse_datetime(text)
        except ValueError:
            day = parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if day is None:
            raise serializers.ValidationError(
                "Use an ISO date (2024-05-01) or datetime (2024-05-01T08:00:00Z)."
            )
        start = datetime.combine(day, time.min, tzinfo=UTC)
        return start + timedelta(days=1) if self.end else start

    def to_representation(self, value):
        return value.isoformat() if isinstance(value, date | datetime) else value


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    original = serializers.BooleanField(required=False, default=False)
    camera_id = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    region = serializers.CharField(required=False, allow_blank=True, max_length=16, default="")
    color = serializers.CharField(required=False, allow_blank=True, max_length=16, default="")
    review_status = serializers.ChoiceField(
        choices=REVIEW_STATES, required=False, allow_blank=True, default=""
    )
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=25)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The parameters are named `from` and `to` (`from` is a Python keyword, so not a class attribute).
        self.fields["from"] = InstantField(required=False, source="taken_from")
        self.fields["to"] = InstantField(required=False, end=True, source="taken_to")

    def validate(self, attrs):
        if attrs["cursor"]:
            attrs["after"] = parse_cursor(attrs["cursor"])
            if PlateQuery.parse(attrs["q"]).norm or attrs["page"] != 1:
                raise serializers.ValidationError(
                    {"cursor": "A cursor pages the readings listed without q, from page 1."}
                )
            return attrs
        if attrs["page"] * attrs["page_size"] > MAX_RESULT_WINDOW:
            # Elasticsearch's default index.max_result_window; the same limit on every backend.
            raise serializers.ValidationError(
                {"page": f"Only the first {MAX_RESULT_WINDOW} results can be paged."}
            )
        return attrs


def make_cursor(hit: SearchHit) -> str:
    """The keyset of the results after `hit` (a query without text): its capture time and reading id."""
    return f"{hit.document.taken_at.isoformat()}_{hit.document.reading_id}"


def parse_cursor(cursor: str) -> tuple[datetime, int]:
    taken, _, reading_id = cursor.rpartition("_")
    try:
        moment = parse_datetime(taken)
        if moment is not None and reading_id.isdigit() and int(reading_id) < 2**63:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC), int(reading_id))
    except ValueError:
        pass
    raise serializers.ValidationError({"cursor": "Use the next_cursor of a previous response."})


def thumbnail_url(document) -> str | None:
    try:
        return reverse("dam:asset-thumbnail", kwargs={"request_uuid": document.request_uuid})
    except NoReverseMatch:
        return default_storage.url(document.file) if document.file else None


def asset_url(document) -> str | None:
    try:
        return reverse("dam:asset", kwargs={"request_uuid": document.request_uuid})
    except NoReverseMatch:
        return None


def hit_data(hit: SearchHit, query: PlateQuery, request=None) -> dict:
    doc = hit.document
    matched_text = doc.original_plate if hit.matched_original else doc.plate
    span = query.highlight(matched_text)
    thumb = thumbnail_url(doc)
    link = asset_url(doc)
    absolute = request.build_absolute_uri if request is not None else (lambda url: url)
    return {
        "reading_id": doc.reading_id,
        "asset": {
            "id": doc.asset_id,
            "request_uuid": doc.request_uuid,
            "url": absolute(link) if link else None,
            "thumbnail_url": absolute(thumb) if thumb else None,
            "camera_id": doc.camera_id,
            "taken_at": doc.taken_at.isoformat(),
            "created_on": doc.created_on.isoformat(),
        },
        "plate": doc.plate,
        "original_plate": doc.original_plate,
        "match": hit.tier.label if hit.tier is not None else None,
        "matched_original": hit.matched_original,
        "highlight": {"text": matched_text, "start": span[0], "end": span[1]} if span else None,
        "box": doc.box,
        "region": doc.region,
        "color": doc.color,
        "review_status": doc.review_status,
    }
