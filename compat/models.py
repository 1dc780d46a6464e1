"""Usage rows (one per recognition served through a compatible API) and webhooks with their deliveries."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiCall(models.Model):
    """One recognition served to a user: the monthly usage and quota are counted from these rows."""

    class Api(models.TextChoices):
        PLATERECOGNIZER = "platerecognizer", "Plate Recognizer"
        SCALEFLEX = "scaleflex", "Scaleflex Visual AI"
        HUAWEI = "huawei", "Huawei Cloud OCR"
        TENCENT = "tencent", "Tencent Cloud OCR"
        VLENS = "vlens", "Vlens OCR"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_calls")
    api = models.CharField(max_length=20, choices=Api.choices)
    created_on = models.DateTimeField(default=timezone.now, editable=False)
    asset = models.ForeignKey("dam.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    plates = models.PositiveSmallIntegerField(default=0)
    processing_time_ms = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-created_on", "-id"]
        indexes = [models.Index(fields=["user", "created_on"], name="compat_apicall_user_time")]

    def __str__(self) -> str:
        return f"{self.user} {self.api} {self.created_on:%Y-%m-%d %H:%M:%S}"


class Webhook(models.Model):
    """A target URL that receives `image.done` after each recognition of its owner's images."""

    class Event(models.TextChoices):
        IMAGE_DONE = "image.done", "image.done"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    target = models.URLField(max_length=500)
    event = models.CharField(max_length=30, choices=Event.choices, default=Event.IMAGE_DONE)
    # Plate Recognizer's "Webhook with Image": multipart/form-data with `json` (the payload) and `upload`.
    with_image = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    # Set when the owner has seen the "disabled" notice in the admin; cleared when re-enabled.
    notice_acknowledged = models.BooleanField(default=False)
    created_on = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.target} ({'active' if self.is_active else 'disabled'})"


class WebhookDelivery(models.Model):
    """One payload for one webhook; attempts are retried with backoff by compat.tasks."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (webhook disabled)"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=30, default=Webhook.Event.IMAGE_DONE)
    payload = models.JSONField()
    # The recognized image, for webhooks with image (None when images are not stored).
    asset = models.ForeignKey("dam.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # When the next attempt is due; a pending delivery long past it lost its task and is re-queued.
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_on = models.DateTimeField(default=timezone.now, editable=False)
    finished_on = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_on", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} -> {self.webhook.target} ({self.status})"
