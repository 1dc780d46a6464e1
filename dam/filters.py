"""Query filters of the asset list (API and web): plate, status, camera, date ranges, ordering."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Asset, PlateReading


def effective_plate_q(plate: str, prefix: str = "") -> Q:
    """Readings whose truth is `plate`: the correction if corrected, else the model's text unless rejected."""
    review = PlateReading.Review
    return Q(**{f"{prefix}review_status": review.CORRECTED, f"{prefix}corrected_plate": plate}) | Q(
        **{f"{prefix}review_status__in": [review.UNREVIEWED, review.APPROVED], f"{prefix}plate": plate}
    )


class AssetFilter(django_filters.FilterSet):
    plate = django_filters.CharFilter(
        method="filter_plate", help_text="Exact plate (corrections win over the model's text)."
    )
    status = django_filters.ChoiceFilter(choices=Asset.Status.choices)
    camera_id = django_filters.CharFilter()
    review_status = django_filters.ChoiceFilter(
        field_name="readings__review_status", choices=PlateReading.Review.choices, distinct=True
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_on", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_on", lookup_expr="lte")
    timestamp_after = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    timestamp_before = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_on", "created_on"),
            ("timestamp", "timestamp"),
            ("camera_id", "camera_id"),
            ("status", "status"),
        ),
    )

    class Meta:
        model = Asset
        fields = ["plate", "status", "camera_id", "review_status"]

    def filter_plate(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        from .services import normalize_plate

        plate = normalize_plate(value)
        matching = PlateReading.objects.filter(effective_plate_q(plate), asset=OuterRef("pk"))
        reviewed = matching.exclude(review_status=PlateReading.Review.UNREVIEWED)
        queryset = queryset.filter(Exists(matching)).annotate(reviewed_match=Exists(reviewed))
        if not self.data.get("ordering"):
            # Assets whose plate a human confirmed or corrected come first.
            queryset = queryset.order_by("-reviewed_match", "-created_on", "-id")
        return queryset
