"""Web page of plate search: /search/ (results with thumbnails, the matching plate highlighted, facets); without
parameters it opens on the newest readings and the account's facets."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plates.display import display_plate
from search.backends import SearchBackendError
from search.backends.base import SearchIndexCorrupt
from search.selectors import plate_search
from search.serializers import REVIEW_STATES, SearchParamsSerializer, hit_data

FACET_LABELS = {
    "camera_id": "Camera",
    "region": "Region",
    "color": "Colour",
    "review_status": "Review",
    "month": "Month",
}


def _with(request: HttpRequest, **changes) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode()


def _month_bounds(month: str) -> tuple[str, str]:
    year, mon = (int(part) for part in month.split("-"))
    following = f"{year + mon // 12:04d}-{mon % 12 + 1:02d}-01"
    return f"{month}-01", following


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    params = SearchParamsSerializer(data=request.GET)
    context: dict = {
        "params": request.GET,
        "review_states": REVIEW_STATES,
        "hits": [],
        "facets": [],
        "error": "",
    }
    if not params.is_valid():
        context["error"] = "; ".join(f"{k}: {v[0]}" for k, v in params.errors.items())
        return render(request, "search/search.html", context, status=400)
    data = params.validated_data
    try:
        query, results = plate_search(user=request.user, params=data)
    except SearchIndexCorrupt:
        context["error"] = "The search index is being rebuilt; try again shortly."
        return render(request, "search/search.html", context, status=503)
    except SearchBackendError:
        context["error"] = "The search engine is not reachable; try again shortly."
        return render(request, "search/search.html", context, status=503)
    hits = []
    for hit in results.hits:
        item = hit_data(hit, query.text)
        item["taken_at"] = hit.document.taken_at
        item["details"] = " · ".join(
            v for v in (hit.document.region, hit.document.color, hit.document.review_status) if v
        )
        # The page shows plates as printed (plates.display); the highlight is found again in that form.
        doc = hit.document
        item["display_plate"] = display_plate(doc.plate, doc.region)
        shown = display_plate(doc.original_plate if hit.matched_original else doc.plate, doc.region)
        span = query.text.highlight(shown)
        if span:
            item["parts"] = (shown[: span[0]], shown[span[0] : span[1]], shown[span[1] :])
        hits.append(item)
    facets = []
    for name, values in results.facets.items():
        entries = []
        for value, count in values:
            if name == "month":
                start, end = _month_bounds(value)
                url = _with(request, **{"from": start, "to": end})
            else:
                url = _with(request, **{name: value})
            entries.append({"value": value, "count": count, "url": url})
        facets.append({"name": name, "label": FACET_LABELS[name], "values": entries})
    page, page_size = data["page"], data["page_size"]
    params_without_page = request.GET.copy()
    params_without_page.pop("page", None)
    context.update(
        hits=hits,
        facets=facets,
        total=results.total,
        total_is_lower_bound=results.total_relation == "gte",
        page=page,
        next_page=page + 1 if page * page_size < results.total else None,
        previous_page=page - 1 if page > 1 else None,
        base_query=params_without_page.urlencode(),
    )
    return render(request, "search/search.html", context)
