"""Search tables: the indexing outbox (pending changes), the embedded engine's plate index and its facet counts."""

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


class IndexRun(models.Model):
    """One row (pk 1) that lets DAM commits share one queued index_pending task instead of each queueing
    its own: `queued_at` is set by the commit that queues it and cleared when a run starts; `started_at` is
    when the last run started (the next one is queued to start RUN_AT_MOST_EVERY after it, see indexing)."""

    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"index_pending queued at {self.queued_at}, last started at {self.started_at}"


# Columns a lookup needs besides its key: rank (taken_at, id), tier (norm), filters and facets.
COVERED = ("taken_at", "id", "norm", "camera_id", "region", "color", "review_status")


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
            # Covering: prefix, suffix and browse lookups rank, filter and facet from the index alone.
            models.Index(fields=["owner_id", "folded", *COVERED], name="search_pie_owner_folded"),
            models.Index(fields=["owner_id", "folded_rev", "folded", *COVERED], name="search_pie_owner_frev"),
            models.Index(fields=["owner_id", "original_folded"], name="search_pie_owner_ofolded"),
            models.Index(fields=["owner_id", "original_folded_rev"], name="search_pie_owner_ofrev"),
            models.Index(
                fields=[
                    "owner_id",
                    "taken_at",
                    "id",
                    "folded",
                    "camera_id",
                    "region",
                    "color",
                    "review_status",
                ],
                name="search_pie_owner_taken",
            ),
        ]

    def __str__(self) -> str:
        return self.plate


class FacetCount(models.Model):
    """How many indexed readings an owner has per facet value (facet "total": all of them), over the whole
    account (prefix "") and per first two characters of the folded plate; kept in the transaction of every
    index write and recomputed by a rebuild, so browsing and short prefixes never scan an account."""

    TOTAL = "total"
    PREFIX_LENGTH = 2

    owner_id = models.BigIntegerField()
    prefix = models.CharField(max_length=PREFIX_LENGTH, blank=True)
    facet = models.CharField(max_length=16)
    value = models.CharField(max_length=100)
    count = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_id", "prefix", "facet", "value"], name="search_facetcount_key"
            )
        ]

    def __str__(self) -> str:
        return f"owner {self.owner_id} {self.prefix}* {self.facet}={self.value}: {self.count}"
