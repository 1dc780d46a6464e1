"""Search tables: the indexing outbox (pending changes) and the embedded engine's plate index."""

from django.db import models
from django.utils import timezone


class IndexOutbox(models.Model):
    """An asset whose search documents must be rewritten from the database. Written in the DAM transaction;
    deleted only once the backend accepted the write, so nothing is lost while the engine is down."""

    class Op(models.TextChoices):
        INDEX = "index", "Index"
        DELETE = "delete", "Delete"
        REBUILD = "rebuild", "Rebuild in progress (marker row)"

    asset_id = models.BigIntegerField(db_index=True)
    op = models.CharField(max_length=10, choices=Op.choices, default=Op.INDEX)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "index outbox"

    def __str__(self) -> str:
        return f"{self.op} asset {self.asset_id} (attempts {self.attempts})"


class PlateIndexEntry(models.Model):
    """The embedded backend's documents: one row per searchable reading (id = PlateReading id).

    Plain columns with b-tree indexes serve exact, confusion, prefix and fuzzy lookups; the migration adds
    an FTS5 trigram table over the folded columns on SQLite, or pg_trgm GIN indexes on PostgreSQL."""

    id = models.BigIntegerField(primary_key=True)
    asset_id = models.BigIntegerField(db_index=True)
    owner_id = models.BigIntegerField()
    request_uuid = models.CharField(max_length=36)
    file = models.CharField(max_length=255, blank=True)
    camera_id = models.CharField(max_length=100, blank=True)
    taken_at = models.DateTimeField()
    created_on = models.DateTimeField()
    region = models.CharField(max_length=16, blank=True)
    color = models.CharField(max_length=16, blank=True)
    review_status = models.CharField(max_length=20)
    box = models.JSONField(default=dict)
    plate = models.CharField(max_length=32)
    norm = models.CharField(max_length=32)
    folded = models.CharField(max_length=32)
    folded_rev = models.CharField(max_length=32)
    original_plate = models.CharField(max_length=32)
    original_norm = models.CharField(max_length=32)
    original_folded = models.CharField(max_length=32)
    original_folded_rev = models.CharField(max_length=32)

    class Meta:
        indexes = [
            models.Index(fields=["owner_id", "folded"], name="search_pie_owner_folded"),
            models.Index(fields=["owner_id", "folded_rev"], name="search_pie_owner_frev"),
            models.Index(fields=["owner_id", "original_folded"], name="search_pie_owner_ofolded"),
            models.Index(fields=["owner_id", "original_folded_rev"], name="search_pie_owner_ofrev"),
            models.Index(fields=["owner_id", "taken_at"], name="search_pie_owner_taken"),
        ]

    def __str__(self) -> str:
        return self.plate
