"""Assets (uploaded images, facts about the bytes) and PlateReadings (derived, recomputable, reviewable)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from plates import display
from plates.base import BoundingBox


def asset_upload_to(instance: "Asset", filename: str) -> str:
    # Content-addressed path: the sha1 names the file; the original name is kept in a column.
    ext = {
        "image/jpeg": "jpg",
        "image/png": "png",
        "image/bmp": "bmp",
        "image/tiff": "tif",
        "image/webp": "webp",
        "image/gif": "gif",
    }
    suffix = ext.get(instance.content_type, "bin")
    return f"assets/{instance.sha1[:2]}/{instance.sha1}.{suffix}"


class Asset(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    request_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assets")
    file = models.FileField(upload_to=asset_upload_to, max_length=255, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    sha1 = models.CharField(max_length=40, db_index=True, editable=False)
    content_type = models.CharField(max_length=50, editable=False)
    size = models.PositiveBigIntegerField(editable=False, default=0)
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    created_on = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    camera_id = models.CharField(max_length=100, blank=True, db_index=True)
    timestamp = models.DateTimeField(null=True, blank=True, db_index=True, help_text="Capture time")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The Celery node that set it processing: when that node starts again, what it held is orphaned.
    claimed_by = models.CharField(max_length=255, blank=True, editable=False)
    model_version = models.CharField(max_length=100, blank=True)
    processing_time_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["owner", "sha1"], name="dam_asset_unique_owner_sha1")]
        indexes = [models.Index(fields=["status", "status_changed_at"], name="dam_asset_status_age")]

    def __str__(self) -> str:
        return f"{self.original_filename or self.request_uuid} ({self.status})"


class PlateReading(models.Model):
    class Review(models.TextChoices):
        UNREVIEWED = "unreviewed", "Unreviewed"
        APPROVED = "approved", "Approved"
        CORRECTED = "corrected", "Corrected"
        REJECTED = "rejected", "Rejected"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="readings")
    index = models.PositiveSmallIntegerField(default=0, help_text="Position in the model's result list")
    plate = models.CharField(max_length=32, db_index=True, help_text="Text as the model read it")
    score = models.FloatField(default=0.0, help_text="OCR confidence 0..1")
    dscore = models.FloatField(default=0.0, help_text="Detection confidence 0..1")
    box = models.JSONField(default=dict, help_text="{xmin, ymin, xmax, ymax} in pixels")
    polygon = models.JSONField(default=list, help_text="4 corner points [[x, y], ...]")
    region_code = models.CharField(max_length=16, blank=True)
    region_score = models.FloatField(default=0.0)
    color = models.CharField(max_length=16, blank=True)
    candidates = models.JSONField(default=list, help_text="[{plate, score}, ...]")
    model_version = models.CharField(max_length=100, blank=True)
    created_on = models.DateTimeField(default=timezone.now)
    # Human review: never overwritten by reprocessing.
    review_status = models.CharField(
        max_length=20, choices=Review.choices, default=Review.UNREVIEWED, db_index=True
    )
    corrected_plate = models.CharField(max_length=32, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asset_id", "index", "id"]

    def __str__(self) -> str:
        return self.effective_plate or f"(rejected) {self.plate}"

    @property
    def effective_plate(self) -> str:
        """The truth for search and metadata: the correction if any, nothing if rejected, else the reading."""
        if self.review_status == self.Review.REJECTED:
            return ""
        if self.review_status == self.Review.CORRECTED and self.corrected_plate:
            return self.corrected_plate
        return self.plate

    @property
    def display_plate(self) -> str:
        """The effective plate as its country prints it (`AB12 CDE`), for people; empty when rejected."""
        plate = self.effective_plate
        return display.display_plate(plate, self.region_code) if plate else ""

    @property
    def display_read(self) -> str:
        """What the model read, as its country prints it."""
        return display.display_plate(self.plate, self.region_code)

    @property
    def bounding_box(self) -> BoundingBox | None:
        """The stored box JSON as the engine's type; None when missing or malformed (older rows)."""
        try:
            return BoundingBox(*(int(self.box[k]) for k in ("xmin", "ymin", "xmax", "ymax")))
        except (KeyError, TypeError, ValueError):
            return None
