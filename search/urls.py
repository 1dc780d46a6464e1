"""URLs of the search app (API under /api/, web pages at the root)."""

from django.urls import path

from search import apis, views

app_name = "search"

urlpatterns = [
    path("api/search/", apis.PlateSearchApi.as_view(), name="api-search"),
    path("search/", views.search_page, name="search"),
]
