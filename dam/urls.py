"""URLs of the dam app: the REST API under /api/ (with its schema and docs), web pages at the root."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import apis, views

app_name = "dam"

urlpatterns = [
    path("api/assets/", apis.AssetListCreateApi.as_view(), name="api-assets"),
    path("api/assets/<uuid:request_uuid>/", apis.AssetDetailApi.as_view(), name="api-asset"),
    path(
        "api/assets/<uuid:request_uuid>/metadata/", apis.AssetMetadataApi.as_view(), name="api-asset-metadata"
    ),
    path(
        "api/assets/<uuid:request_uuid>/reprocess/",
        apis.AssetReprocessApi.as_view(),
        name="api-asset-reprocess",
    ),
    path(
        "api/assets/<uuid:request_uuid>/readings/<int:reading_id>/",
        apis.ReadingDetailApi.as_view(),
        name="api-reading",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="dam:api-schema"), name="api-docs"),
    re_path(r"^api/.*$", apis.ApiNotFound.as_view(), name="api-not-found"),
    path("", views.upload_page, name="upload"),
    path("assets/", views.asset_list_page, name="assets"),
    path("assets/<uuid:request_uuid>/", views.asset_page, name="asset"),
    path("assets/<uuid:request_uuid>/file/", apis.AssetFileApi.as_view(), name="asset-file"),
    path("assets/<uuid:request_uuid>/thumbnail/", views.asset_thumbnail, name="asset-thumbnail"),
    path(
        "assets/<uuid:request_uuid>/readings/<int:reading_id>/crop/", views.reading_crop, name="reading-crop"
    ),
]
