"""Admin review of assets and readings. Every write goes through dam.services (signals, rules, enqueueing)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from platelens.errors import ServiceError

from . import services
from .models import Asset, PlateReading


class ReviewForm(forms.ModelForm):
    """Review fields of one reading; a correction needs the corrected text."""

    class Meta:
        model = PlateReading
        fields = ["review_status", "corrected_plate"]

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("review_status")
        plate = services.normalize_plate(cleaned.get("corrected_plate", ""))
        if plate and status in (PlateReading.Review.UNREVIEWED, PlateReading.Review.APPROVED):
            # Typing a correction is enough: it makes the reading "corrected".
            cleaned["review_status"] = status = PlateReading.Review.CORRECTED
        if status == PlateReading.Review.CORRECTED and not plate:
            self.add_error("corrected_plate", "A correction needs the corrected plate text.")
        return cleaned


def _review(request, reading: PlateReading, cleaned: dict) -> None:
    fresh = PlateReading.objects.select_related("asset").get(pk=reading.pk)
    services.reading_review(
        reading=fresh,
        reviewer=request.user,
        status=cleaned["review_status"],
        corrected_plate=cleaned.get("corrected_plate", ""),
    )


def _crop_html(reading: PlateReading) -> str:
    if not reading.pk or not reading.box:
        return "-"
    url = reverse(
        "dam:reading-crop", kwargs={"request_uuid": reading.asset.request_uuid, "reading_id": reading.pk}
    )
    return format_html(
        '<img src="{}" alt="crop" style="max-height:56px;max-width:220px;border:1px solid #ccc">', url
    )


class ReadingInline(admin.TabularInline):
    model = PlateReading
    form = ReviewForm
    extra = 0
    can_delete = False
    fields = [
        "crop",
        "read",
        "score",
        "dscore",
        "region_code",
        "color",
        "review_status",
        "corrected_plate",
        "reviewer",
        "reviewed_at",
    ]
    readonly_fields = ["crop", "read", "score", "dscore", "region_code", "color", "reviewer", "reviewed_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="plate crop")
    def crop(self, reading: PlateReading) -> str:
        return _crop_html(reading)

    @admin.display(description="plate (as read)")
    def read(self, reading: PlateReading) -> str:
        return reading.display_read


class ReviewStateFilter(admin.SimpleListFilter):
    title = "review state"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("unreviewed", "has unreviewed readings"),
            ("reviewed", "fully reviewed"),
            ("none", "no readings"),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        unreviewed = PlateReading.Review.UNREVIEWED
        if self.value() == "unreviewed":
            return queryset.filter(readings__review_status=unreviewed).distinct()
        if self.value() == "reviewed":
            return (
                queryset.filter(readings__isnull=False).exclude(readings__review_status=unreviewed).distinct()
            )
        if self.value() == "none":
            return queryset.filter(readings__isnull=True)
        return queryset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "original_filename",
        "plates",
        "status",
        "camera_id",
        "owner",
        "created_on",
        "timestamp",
    ]
    list_display_links = ["thumbnail", "original_filename"]
    list_filter = ["status", ReviewStateFilter, "camera_id", "created_on", "timestamp", "owner"]
    search_fields = [
        "original_filename",
        "sha1",
        "request_uuid",
        "readings__plate",
        "readings__corrected_plate",
    ]
    date_hierarchy = "created_on"
    inlines = [ReadingInline]
    actions = ["reprocess", "approve_readings", "reject_readings"]
    fields = [
        "image",
        "request_uuid",
        "owner",
        "original_filename",
        "camera_id",
        "timestamp",
        "status",
        "error",
        "attempts",
        "model_version",
        "processing_time_ms",
        "sha1",
        "content_type",
        "size",
        "width",
        "height",
        "created_on",
    ]
    readonly_fields = [f for f in fields if f not in ("camera_id", "timestamp")]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner").prefetch_related("readings")

    def has_add_permission(self, request) -> bool:
        return False  # uploads go through the upload page, the API or `manage.py ingest`

    @admin.display(description="image")
    def thumbnail(self, asset: Asset) -> str:
        url = reverse("dam:asset-thumbnail", kwargs={"request_uuid": asset.request_uuid})
        return format_html('<img src="{}" alt="" style="height:60px;border-radius:3px">', url)

    @admin.display(description="image with plate boxes")
    def image(self, asset: Asset) -> str:
        html = render_to_string("dam/_annotated_image.html", {"asset": asset, "max_width": "700px"})
        return format_html(
            '<link rel="stylesheet" href="{}">{}<script src="{}"></script>',
            static("dam/assets.css"),
            html,
            static("dam/assets.js"),
        )

    @admin.display(description="plates")
    def plates(self, asset: Asset) -> str:
        plates = [r.display_plate for r in asset.readings.all() if r.display_plate]
        return format_html_join(" ", "<code>{}</code>", ((p,) for p in plates)) or "-"

    def save_model(self, request, obj: Asset, form, change: bool) -> None:
        services.asset_update(
            asset=obj,
            camera_id=form.cleaned_data.get("camera_id", ""),
            timestamp=form.cleaned_data.get("timestamp"),
        )

    def construct_change_message(self, request, form, formsets, add=False):
        # Reviews are saved by the service, not formset.save(): describe them for the history here.
        for formset in formsets:
            formset.new_objects, formset.deleted_objects = [], []
            formset.changed_objects = [
                (f.instance, f.changed_data) for f in formset.forms if f.instance.pk and f.has_changed()
            ]
        return super().construct_change_message(request, form, formsets, add)

    def save_formset(self, request, form, formset, change: bool) -> None:
        for reading_form in formset.forms:
            if reading_form.instance.pk and reading_form.has_changed():
                _review(request, reading_form.instance, reading_form.cleaned_data)

    def get_deleted_objects(self, objs, request):
        # Readings go with their asset, even though they cannot be deleted on their own.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(PlateReading._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj: Asset) -> None:
        services.asset_delete(asset=obj)

    def delete_queryset(self, request, queryset: QuerySet) -> None:
        for asset in queryset:
            services.asset_delete(asset=asset)

    @admin.action(description="Reprocess (run recognition again)")
    def reprocess(self, request, queryset: QuerySet) -> None:
        count = services.assets_reprocess(assets=list(queryset))
        self.message_user(request, f"{count} asset(s) queued for recognition.", messages.SUCCESS)

    def _review_all(self, request, queryset: QuerySet, status: str) -> None:
        readings = list(PlateReading.objects.filter(asset__in=queryset).select_related("asset"))
        count = services.readings_review(readings=readings, reviewer=request.user, status=status)
        self.message_user(request, f"{count} reading(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Approve all readings of the selected assets")
    def approve_readings(self, request, queryset: QuerySet) -> None:
        self._review_all(request, queryset, PlateReading.Review.APPROVED)

    @admin.action(description="Reject all readings of the selected assets")
    def reject_readings(self, request, queryset: QuerySet) -> None:
        self._review_all(request, queryset, PlateReading.Review.REJECTED)


@admin.register(PlateReading)
class PlateReadingAdmin(admin.ModelAdmin):
    form = ReviewForm
    list_display = ["crop", "read", "score", "review_status", "corrected_plate", "asset_link", "reviewer"]
    list_display_links = ["crop"]
    list_editable = ["review_status", "corrected_plate"]
    list_filter = ["review_status", "asset__status", "asset__camera_id", "created_on", "region_code", "color"]
    search_fields = ["plate", "corrected_plate", "asset__original_filename"]
    list_select_related = ["asset", "reviewer"]
    actions = ["approve", "reject", "reset"]
    fields = [
        "crop",
        "asset_link",
        "read",
        "score",
        "dscore",
        "box",
        "region_code",
        "color",
        "candidates",
        "model_version",
        "review_status",
        "corrected_plate",
        "reviewer",
        "reviewed_at",
    ]
    readonly_fields = [f for f in fields if f not in ("review_status", "corrected_plate")]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # readings are derived data: reject them instead

    @admin.display(description="plate crop")
    def crop(self, reading: PlateReading) -> str:
        return _crop_html(reading)

    @admin.display(description="plate (as read)", ordering="plate")
    def read(self, reading: PlateReading) -> str:
        return reading.display_read

    @admin.display(description="asset")
    def asset_link(self, reading: PlateReading) -> str:
        url = reverse("admin:dam_asset_change", args=[reading.asset_id])
        return format_html(
            '<a href="{}">{}</a>', url, reading.asset.original_filename or reading.asset.request_uuid
        )

    def save_model(self, request, obj: PlateReading, form, change: bool) -> None:
        _review(request, obj, form.cleaned_data)

    def _bulk(self, request, queryset: QuerySet, status: str) -> None:
        try:
            count = services.readings_review(readings=list(queryset), reviewer=request.user, status=status)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{count} reading(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Approve selected readings")
    def approve(self, request, queryset: QuerySet) -> None:
        self._bulk(request, queryset, PlateReading.Review.APPROVED)

    @admin.action(description="Reject selected readings (not a plate)")
    def reject(self, request, queryset: QuerySet) -> None:
        self._bulk(request, queryset, PlateReading.Review.REJECTED)

    @admin.action(description="Mark selected readings unreviewed")
    def reset(self, request, queryset: QuerySet) -> None:
        self._bulk(request, queryset, PlateReading.Review.UNREVIEWED)
