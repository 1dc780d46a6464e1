"""The search backend interface: documents in, ranked hits and facets out. One module per engine."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from search.text import PlateQuery, Tier

FACET_FIELDS = ("camera_id", "region", "color", "review_status", "month")
# Totals are exact up to this many matches and reported as "at least" beyond it (Elasticsearch's
# track_total_hits); it is also the deepest result a page can reach (serializers.MAX_RESULT_WINDOW).
COUNT_LIMIT = 10_000


class SearchBackendError(Exception):
    """The engine could not be reached or refused a request; the caller records and retries index writes."""


class SearchIndexCorrupt(SearchBackendError):
    """The index itself is damaged (e.g. SQLite "database disk image is malformed"); a rebuild repairs it."""


@dataclass(frozen=True)
class PlateDocument:
    """One indexed plate reading with the asset fields search filters and results need."""

    reading_id: int
    asset_id: int
    owner_id: int
    request_uuid: str
    file: str
    camera_id: str
    taken_at: datetime
    created_on: datetime
    region: str
    color: str
    review_status: str
    box: dict
    plate: str
    norm: str
    folded: str
    original_plate: str
    original_norm: str
    original_folded: str


@dataclass(frozen=True)
class SearchQuery:
    owner_id: int
    text: PlateQuery = field(default_factory=lambda: PlateQuery.parse(""))
    include_original: bool = False
    camera_id: str = ""
    region: str = ""
    color: str = ""
    review_status: str = ""
    taken_from: datetime | None = None
    taken_to: datetime | None = None
    offset: int = 0
    limit: int = 25
    facets: bool = True
    count_limit: int = COUNT_LIMIT
    # Keyset paging of queries without text: hits after this (capture time, reading id) of the previous
    # page's last hit, newest first; reaches past `count_limit` (the total and facets stay those of the query).
    after: tuple[datetime, int] | None = None


@dataclass(frozen=True)
class SearchHit:
    document: PlateDocument
    tier: Tier | None
    matched_original: bool = False


@dataclass
class SearchResults:
    """`total` is exact when `total_relation` is "eq"; "gte" means more than `count_limit` readings matched,
    `total` is the limit, and facets may count only the first `count_limit` results in rank order."""

    total: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]]
    total_relation: str = "eq"


class SearchBackend(abc.ABC):
    """Every backend behaves the same; tests/search/behaviour.py is the definition."""

    name: str = ""
    # True when rebuild() is one database transaction: concurrent index writes wait for it.
    atomic_rebuild: bool = False

    @abc.abstractmethod
    def replace_assets(self, asset_ids: Sequence[int], documents: Iterable[PlateDocument]) -> None:
        """Make the index hold exactly `documents` for these assets (none: the assets are gone)."""

    @abc.abstractmethod
    def rebuild(self, documents: Iterable[PlateDocument]) -> int:
        """Replace the whole index with `documents`, atomically for readers; returns how many were indexed."""

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResults:
        """Hits ordered by tier, then capture time (newest first), then reading id (highest first), from the
        first `query.count_limit` results (or after `query.after`); the total is exact up to that limit (see
        SearchResults)."""

    @abc.abstractmethod
    def count(self) -> int:
        """Documents in the index."""

    def refresh(self) -> None:
        """Make writes visible to searches (a no-op for transactional engines)."""
        return None
