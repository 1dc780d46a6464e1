"""Read side of search: a user's plate search, ownership always applied."""

from __future__ import annotations

from search.backends import get_backend
from search.backends.base import COUNT_LIMIT, SearchIndexCorrupt, SearchQuery, SearchResults
from search.indexing import request_index_repair
from search.text import PlateQuery


def plate_search(*, user, params: dict) -> tuple[SearchQuery, SearchResults]:
    """Search `user`'s own readings with validated SearchParamsSerializer data. A damaged index queues its own
    rebuild and raises (SearchBackendError: callers answer 503 until it is repaired)."""
    page, page_size = params.get("page", 1), params.get("page_size", 25)
    query = SearchQuery(
        owner_id=user.pk,
        text=PlateQuery.parse(params.get("q", "")),
        include_original=params.get("original", False),
        camera_id=params.get("camera_id", ""),
        region=params.get("region", ""),
        color=params.get("color", ""),
        review_status=params.get("review_status", ""),
        taken_from=params.get("taken_from"),
        taken_to=params.get("taken_to"),
        offset=(page - 1) * page_size,
        limit=page_size,
        count_limit=COUNT_LIMIT,
        after=params.get("after"),
    )
    try:
        return query, get_backend().search(query)
    except SearchIndexCorrupt:
        request_index_repair()
        raise
