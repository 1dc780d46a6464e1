"""URLs of the vendor-compatible APIs (mounted at the site root: /v1/, /alpr, /info/, /v2/, /tencentcloud/,
/scaleflex/) and of webhook registration (/api/compat/webhooks/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("v1/plate-reader/", views.PlateReaderView.as_view(), name="compat-plate-reader"),
    path("alpr", views.PlateReaderView.as_view(), name="compat-alpr"),
    path("alpr/", views.PlateReaderView.as_view()),
    path("v1/statistics/", views.StatisticsView.as_view(), name="compat-statistics"),
    path("info/", views.InfoView.as_view(), name="compat-info"),
    path(
        "v2/<str:project_id>/ocr/license-plate", views.HuaweiLicensePlateView.as_view(), name="compat-huawei"
    ),
    path("tencentcloud/", views.TencentView.as_view(), name="compat-tencent"),
    path("tencentcloud", views.TencentView.as_view()),
    path("v1/ocr/license_plate", views.VlensLicensePlateView.as_view(), name="compat-vlens"),
    path("scaleflex/license-plate/", views.ScaleflexLicensePlateView.as_view(), name="compat-scaleflex"),
    path("api/compat/webhooks/", views.WebhookListView.as_view(), name="compat-webhooks"),
    path("api/compat/webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="compat-webhook"),
]
