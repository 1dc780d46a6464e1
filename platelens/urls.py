"""Root URLs: each app contributes its own urls module. No /media/ route: stored files are private and served
only by views that check ownership (dam.files)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("search.urls")),
    path("", include("compat.urls")),
    path("", include("dam.urls")),
]
