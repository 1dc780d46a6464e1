"""REST API of plate search: GET /api/search/ (token or session authentication)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from platelens.errors import ServiceError
from search.backends import SearchBackendError
from search.backends.base import SearchIndexCorrupt
from search.selectors import plate_search
from search.serializers import SearchParamsSerializer, hit_data, make_cursor


def _page_url(request: Request, page: int) -> str:
    params = request.query_params.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


class PlateSearchApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", str, description="Plate, fragment (AB12) or wildcard (AB?2*); OCR confusions tolerated"
            ),
            OpenApiParameter("camera_id", str),
            OpenApiParameter("from", str, description="ISO date or datetime, inclusive (capture time)"),
            OpenApiParameter("to", str, description="ISO date (whole day) or datetime, exclusive"),
            OpenApiParameter("region", str),
            OpenApiParameter("color", str),
            OpenApiParameter("review_status", str, enum=["unreviewed", "approved", "corrected"]),
            OpenApiParameter(
                "original", bool, description="also match the original reading of corrected plates"
            ),
            OpenApiParameter("page", int),
            OpenApiParameter(
                "cursor", str, description="without q: the next_cursor of the previous page (keyset paging)"
            ),
            OpenApiParameter("page_size", int),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            query, results = plate_search(user=request.user, params=data)
        except SearchIndexCorrupt as exc:
            raise ServiceError(
                "search_unavailable", "The search index is being rebuilt; try again shortly.", status=503
            ) from exc
        except SearchBackendError as exc:
            raise ServiceError(
                "search_unavailable", "The search engine is not reachable.", status=503
            ) from exc
        page, page_size = data["page"], data["page_size"]
        more_by_cursor = query.text.empty and len(results.hits) == page_size
        return Response(
            {
                "count": results.total,
                # "gte": more readings match than `count` (it stops at 10,000, as Elasticsearch's does).
                "count_relation": results.total_relation,
                "page": page,
                "page_size": page_size,
                "next": _page_url(request, page + 1) if page * page_size < results.total else None,
                "previous": _page_url(request, page - 1) if page > 1 else None,
                # Without q: `cursor=<next_cursor>` gives the next page, past the 10,000 pages can reach too.
                "next_cursor": make_cursor(results.hits[-1]) if more_by_cursor else None,
                "facets": {
                    name: [{"value": value, "count": count} for value, count in values]
                    for name, values in results.facets.items()
                },
                "results": [hit_data(hit, query.text, request) for hit in results.hits],
            }
        )
