"""URLs of the vendor-compatible APIs (mounted at the site root: /v1/, /alpr, /v2/, /tencentcloud/)."""

urlpatterns: list = []
