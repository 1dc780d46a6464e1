"""URLs of the search app (API under /api/, web pages at the root)."""

urlpatterns: list = []
