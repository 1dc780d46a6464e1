"""REST API of the DAM app: thin views that validate input, call one service or selector, serialize."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from platelens import edge
from platelens.errors import ServiceError
from platelens.parsers import JSONParser

from . import selectors, services
from .files import private_file_response
from .filters import AssetFilter
from .serializers import (
    AssetCreatedSerializer,
    AssetSerializer,
    AssetUpdateSerializer,
    AssetUploadSerializer,
    MetadataSerializer,
    ReadingReviewSerializer,
    ReadingSerializer,
)


def uploaded_bytes(validated: dict) -> tuple[bytes, str]:
    """The upload's bytes and file name, from multipart `file` or base64 `image`."""
    upload = validated.get("file")
    if upload is not None:
        return edge.read_upload(upload), upload.name or ""
    if "image" in validated:
        return edge.decode_base64(validated["image"], field="image"), ""
    raise ServiceError(
        "missing_file", "Send the image as multipart field `file` or base64 JSON field `image`."
    )


class DamAPIView(GenericAPIView):
    throttle_classes = [edge.PerUserRateThrottle]

    def get_asset(self):
        return selectors.asset_get(user=self.request.user, request_uuid=self.kwargs["request_uuid"])


class AssetListCreateApi(DamAPIView):
    serializer_class = AssetSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_class = AssetFilter
    filter_backends: list = []  # the selector applies AssetFilter

    @extend_schema(
        operation_id="assets_list",
        parameters=[
            OpenApiParameter("plate", str, description="Exact plate; reviewed/corrected matches first."),
            OpenApiParameter("status", str, enum=["pending", "processing", "done", "failed"]),
            OpenApiParameter("camera_id", str),
            OpenApiParameter("review_status", str, enum=["unreviewed", "approved", "corrected", "rejected"]),
            OpenApiParameter("created_after", str, description="ISO 8601"),
            OpenApiParameter("created_before", str, description="ISO 8601"),
            OpenApiParameter("timestamp_after", str, description="ISO 8601 (capture time)"),
            OpenApiParameter("timestamp_before", str, description="ISO 8601 (capture time)"),
            OpenApiParameter(
                "ordering", str, description="created_on, timestamp, camera_id, status; '-' for desc"
            ),
        ],
        responses=AssetSerializer(many=True),
    )
    def get(self, request):
        queryset = selectors.asset_list(user=request.user, filters=request.query_params)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            AssetSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="assets_create",
        request={"multipart/form-data": AssetUploadSerializer, "application/json": AssetUploadSerializer},
        responses={
            201: AssetCreatedSerializer,
            200: OpenApiResponse(AssetCreatedSerializer, description="Duplicate: the existing asset."),
        },
    )
    def post(self, request):
        edge.reject_oversize_body(request)
        upload = AssetUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data, filename = uploaded_bytes(upload.validated_data)
        asset, created = services.asset_create(
            owner=request.user,
            data=data,
            filename=filename,
            camera_id=upload.validated_data.get("camera_id", ""),
            timestamp=upload.validated_data.get("timestamp"),
        )
        asset.duplicate = not created
        body = AssetCreatedSerializer(asset, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AssetDetailApi(DamAPIView):
    serializer_class = AssetSerializer

    def get(self, request, request_uuid):
        return Response(AssetSerializer(self.get_asset(), context={"request": request}).data)

    @extend_schema(request=AssetUpdateSerializer, responses=AssetSerializer)
    def patch(self, request, request_uuid):
        asset = self.get_asset()
        update = AssetUpdateSerializer(data=request.data)
        update.is_valid(raise_exception=True)
        changes = dict(update.validated_data)
        asset = services.asset_update(
            asset=asset,
            camera_id=changes.get("camera_id"),
            timestamp=changes["timestamp"] if "timestamp" in changes else ...,
        )
        return Response(
            AssetSerializer(selectors.asset_get(user=request.user, request_uuid=asset.request_uuid)).data
        )

    @extend_schema(responses={204: None})
    def delete(self, request, request_uuid):
        services.asset_delete(asset=self.get_asset())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssetMetadataApi(DamAPIView):
    serializer_class = MetadataSerializer

    @extend_schema(
        responses=MetadataSerializer, description="Asset metadata in the Scaleflex Visual AI shape."
    )
    def get(self, request, request_uuid):
        return Response(selectors.asset_metadata(self.get_asset()))


class AssetReprocessApi(DamAPIView):
    serializer_class = AssetSerializer

    @extend_schema(request=None, responses={202: AssetSerializer})
    def post(self, request, request_uuid):
        asset = self.get_asset()
        services.asset_reprocess(asset=asset)
        asset = selectors.asset_get(user=request.user, request_uuid=request_uuid)
        return Response(AssetSerializer(asset).data, status=status.HTTP_202_ACCEPTED)


class ReadingDetailApi(DamAPIView):
    serializer_class = ReadingSerializer

    def get_reading(self):
        return selectors.reading_get(asset=self.get_asset(), reading_id=self.kwargs["reading_id"])

    def get(self, request, request_uuid, reading_id):
        return Response(ReadingSerializer(self.get_reading()).data)

    @extend_schema(request=ReadingReviewSerializer, responses=ReadingSerializer)
    def patch(self, request, request_uuid, reading_id):
        reading = self.get_reading()
        review = ReadingReviewSerializer(data=request.data)
        review.is_valid(raise_exception=True)
        reading = services.reading_review(
            reading=reading,
            reviewer=request.user,
            status=review.validated_data["status"],
            corrected_plate=review.validated_data.get("corrected_plate", ""),
        )
        return Response(ReadingSerializer(reading).data)


class AssetFileApi(DamAPIView):
    """GET /assets/<uuid>/file/: the original bytes, to the owner (and staff) only, by token or session.
    The one way to a stored file: there is no public media URL."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="The image.")})
    def get(self, request, request_uuid):
        try:
            asset = self.get_asset()
        except ServiceError:
            raise NotFound("No such asset.") from None
        return private_file_response(asset)


class ApiNotFound(APIView):
    """Any other path under /api/: a 404 in the API's error shape instead of an HTML page."""

    permission_classes: list = []
    authentication_classes: list = []
    throttle_classes: list = []
    schema = None

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs, self.request = args, kwargs, self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        response = self.handle_exception(NotFound(f"No API endpoint at {request.path}."))
        self.response = self.finalize_response(self.request, response, *args, **kwargs)
        return self.response
