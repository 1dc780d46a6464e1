"""URLs of the dam app (API under /api/, web pages at the root)."""

urlpatterns: list = []
