"""Thin views of the compatible APIs: parse the vendor's request, call one service, answer in the vendor's
shape. Every error (DRF's auth/throttle errors included) becomes a ServiceError, rendered per vendor."""

from __future__ import annotations

import hashlib
import re

from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from platelens import edge
from platelens.errors import ServiceError, as_service_error
from platelens.parsers import JSONParser

from . import auth, inputs, selectors, services
from .models import ApiCall
from .shapes import huawei, platerecognizer, scaleflex, tencent, vlens


def _values(data, key: str) -> list:
    if hasattr(data, "getlist"):
        return data.getlist(key)
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class VendorView(APIView):
    """Base of every vendor endpoint: token auth, per-user throttle, body size guard, vendor errors."""

    authentication_classes = [auth.PlateRecognizerAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [edge.PerUserRateThrottle]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def initial(self, request, *args, **kwargs):
        edge.reject_oversize_body(request)
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        error = as_service_error(exc)
        if error is None:
            return super().handle_exception(exc)
        return self.render_error(error)

    def render_error(self, error: ServiceError) -> Response:
        return platerecognizer.error_response(error)

    def store_flag(self, request) -> bool | None:
        """The request's `store_image` (query string or body); None leaves PLATELENS_STORE_IMAGES to decide."""
        raw = request.query_params.get("store_image")
        if raw is None and hasattr(request.data, "get"):
            raw = request.data.get("store_image")
        if raw is None:
            return None
        return inputs.parse_bool(raw, field_name="store_image", default=True)


# --- Plate Recognizer ------------------------------------------------------------------------------------


class PlateRecognizerView(VendorView):
    """Their endpoints take a token, or none at all in SDK mode (see auth.SdkModeAuthentication)."""

    authentication_classes = [auth.PlateRecognizerAuthentication, auth.SdkModeAuthentication]


class PlateReaderView(PlateRecognizerView):
    """POST /v1/plate-reader/ and POST /alpr (SDK path)."""

    def post(self, request):
        if not hasattr(request.data, "get"):
            raise ServiceError("invalid_parameter", "The body must be a form or a JSON object.")
        data, filename = self._upload(request)
        regions = inputs.parse_regions(_values(request.data, "regions"))
        camera_id = str(request.data.get("camera_id") or "").strip()
        if len(camera_id) > 100:
            raise ServiceError(
                "invalid_parameter",
                "camera_id is longer than 100 characters.",
                details={"field": "camera_id"},
            )
        timestamp = inputs.parse_timestamp(request.data.get("timestamp"))
        inputs.parse_bool(
            request.data.get("mmc"), field_name="mmc", default=False
        )  # accepted; no vehicle model
        config = inputs.parse_engine_config(request.data.get("config"))
        recognition = services.recognition_run(
            user=request.user,
            api=ApiCall.Api.PLATERECOGNIZER,
            data=data,
            filename=filename,
            regions=regions,
            camera_id=camera_id,
            timestamp=timestamp,
            options=config.options,
            region_strict=config.region_strict,
            store=self.store_flag(request),
        )
        if not filename and recognition.asset is not None:
            filename = recognition.asset.file.name.rsplit("/", 1)[-1]
        body = platerecognizer.recognition_body(recognition, filename=filename or "upload")
        body["usage"] = platerecognizer.usage_body(selectors.usage_for(user=request.user))
        return Response(body, status=status.HTTP_201_CREATED)

    def _upload(self, request) -> tuple[bytes, str]:
        uploaded = request.FILES.get("upload")
        if uploaded is not None:
            return edge.read_upload(uploaded, field="upload"), uploaded.name or ""
        value = request.data.get("upload")
        if isinstance(value, str) and value.strip():
            return edge.decode_base64(value, field="upload"), ""
        url = request.data.get("upload_url")
        if isinstance(url, str) and url.strip():
            return inputs.fetch_url(url.strip(), field_name="upload_url")
        raise ServiceError(
            "missing_image",
            "upload is required: a file, a base64 string, or upload_url.",
            details={"field": "upload"},
        )


class StatisticsView(VendorView):
    """GET /v1/statistics/."""

    def get(self, request):
        usage = selectors.usage_for(user=request.user)
        return Response(
            platerecognizer.statistics_body(usage, calls_ever=selectors.calls_ever(user=request.user))
        )


class InfoView(PlateRecognizerView):
    """GET /info/ (the SDK's version and webhooks)."""

    def get(self, request):
        from plates.pipeline import ENGINE_VERSION  # no model load for a metadata call

        hooks = selectors.webhook_list(owner=request.user)
        return Response(
            {
                "version": ENGINE_VERSION,
                "webhooks": [
                    {"id": h.id, "target": h.target, "event": h.event, "is_active": h.is_active}
                    for h in hooks
                ],
            }
        )


# --- Huawei ----------------------------------------------------------------------------------------------


class HuaweiLicensePlateView(VendorView):
    """POST /v2/{project_id}/ocr/license-plate."""

    authentication_classes = [auth.HuaweiAuthentication]
    parser_classes = [JSONParser]

    def render_error(self, error):
        return huawei.error_response(error)

    def post(self, request, project_id: str):
        body = request.data if isinstance(request.data, dict) else {}
        image, url = body.get("image"), body.get("url")
        if bool(image) == bool(url):
            raise ServiceError("invalid_parameter", "Set exactly one of image or url.")
        if image:
            if not isinstance(image, str):
                raise ServiceError("invalid_base64", "image must be a base64 string.")
            data = edge.decode_base64(image, field="image", max_encoded_chars=huawei.MAX_BASE64_BYTES)
            filename = ""
        else:
            data, filename = inputs.fetch_url(str(url), field_name="url")
        facts = services.image_probe(data, formats=huawei.FORMATS)
        if min(facts.width, facts.height) < huawei.MIN_NARROW_EDGE:
            raise ServiceError(
                "image_too_small", f"The narrow edge is {min(facts.width, facts.height)} px; at least 15 px."
            )
        if max(facts.width, facts.height) > huawei.MAX_WIDE_EDGE:
            raise ServiceError(
                "image_too_large", f"The wide edge is {max(facts.width, facts.height)} px; at most 4096 px."
            )
        recognition = services.recognition_run(
            user=request.user,
            api=ApiCall.Api.HUAWEI,
            data=data,
            filename=filename,
            store=self.store_flag(request),
        )
        return Response(huawei.recognition_body(recognition))


# --- Tencent ---------------------------------------------------------------------------------------------


class TencentView(VendorView):
    """POST /tencentcloud/ with X-TC-Action: LicensePlateOCR (their endpoint is a host root)."""

    authentication_classes = [auth.TencentAuthentication]
    parser_classes = [JSONParser]

    def initial(self, request, *args, **kwargs):
        self.request_id = tencent.request_id()
        super().initial(request, *args, **kwargs)

    def render_error(self, error):
        return tencent.error_response(error, request_id=getattr(self, "request_id", tencent.request_id()))

    def post(self, request):
        action = request.headers.get("X-TC-Action", "")
        if not action:
            raise ServiceError("missing_action", "The X-TC-Action header is missing.")
        if action != tencent.ACTION:
            raise ServiceError(
                "invalid_action", f"Action {action} is not supported here; only {tencent.ACTION}."
            )
        body = request.data if isinstance(request.data, dict) else {}
        url, image = body.get("ImageUrl"), body.get("ImageBase64")
        if url:  # "If both are provided, only ImageUrl is used."
            data, filename = inputs.fetch_url(str(url), field_name="ImageUrl")
        elif isinstance(image, str) and image:
            data = edge.decode_base64(image, field="ImageBase64", max_encoded_chars=tencent.MAX_BASE64_BYTES)
            filename = ""
        else:
            raise ServiceError("missing_image", "One of ImageBase64 or ImageUrl is required.")
        services.image_probe(data, formats=tencent.FORMATS)
        recognition = services.recognition_run(
            user=request.user,
            api=ApiCall.Api.TENCENT,
            data=data,
            filename=filename,
            store=self.store_flag(request),
        )
        body = tencent.recognition_body(recognition, request_id=self.request_id)
        if body is None:
            raise ServiceError("no_plate", "No license plate was recognized in the image.")
        return Response(body)


# --- Scaleflex -------------------------------------------------------------------------------------------


class ScaleflexLicensePlateView(VendorView):
    """POST /scaleflex/license-plate/ (multipart `file`)."""

    authentication_classes = [auth.ScaleflexAuthentication]

    def render_error(self, error):
        return scaleflex.error_response(error)

    def post(self, request):
        if not hasattr(request.data, "get"):
            raise ServiceError("invalid_parameter", "The body must be a form or a JSON object.")
        uploaded = request.FILES.get("file") or next(iter(request.FILES.values()), None)
        if uploaded is not None:
            data, filename = edge.read_upload(uploaded, field="file"), uploaded.name or ""
        elif isinstance(request.data.get("url"), str) and request.data.get("url"):
            data, filename = inputs.fetch_url(request.data["url"], field_name="url")
        else:
            raise ServiceError("missing_image", "Send the image as a multipart file field named file.")
        recognition = services.recognition_run(
            user=request.user,
            api=ApiCall.Api.SCALEFLEX,
            data=data,
            filename=filename,
            store=self.store_flag(request),
        )
        return Response(scaleflex.recognition_body(recognition, sha1=hashlib.sha1(data).hexdigest()))


# --- Vlens ----------------------------------------------------------------------------------------------


class VlensLicensePlateView(VendorView):
    """POST /v1/ocr/license_plate (JSON: image, transaction_id, client_transaction_id, request_id, country)."""

    authentication_classes = [auth.VlensAuthentication]
    parser_classes = [JSONParser]

    def render_error(self, error):
        return vlens.error_response(error)

    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        image = body.get("image")
        if not isinstance(image, str) or not image.strip():
            raise ServiceError("missing_image", "image (base64) is required.", details={"field": "image"})
        transaction_id = inputs.parse_uuid(body.get("transaction_id"), field_name="transaction_id")
        request_id = inputs.parse_uuid(body.get("request_id"), field_name="request_id")
        client_transaction_id = body.get("client_transaction_id")
        if client_transaction_id is not None and not isinstance(client_transaction_id, str | int):
            raise ServiceError(
                "invalid_parameter",
                "client_transaction_id must be a string.",
                details={"field": "client_transaction_id"},
            )
        country = str(body.get("country") or vlens.DEFAULT_COUNTRY).strip().upper()
        if country not in vlens.EGYPT and not re.fullmatch(r"[A-Z]{2}", country):
            raise ServiceError(
                "invalid_parameter",
                "country must be an ISO 3166 code such as EG.",
                details={"field": "country"},
            )
        regions = () if country in vlens.EGYPT else (country.lower(),)
        data = edge.decode_base64(image, field="image", max_encoded_chars=vlens.MAX_BASE64_BYTES)
        services.image_probe(data, formats=vlens.FORMATS)
        recognition = services.recognition_run(
            user=request.user,
            api=ApiCall.Api.VLENS,
            data=data,
            regions=regions,
            store=self.store_flag(request),
        )
        answer = vlens.recognition_body(
            recognition,
            country=country,
            transaction_id=transaction_id,
            request_id=request_id,
            client_transaction_id=None if client_transaction_id is None else str(client_transaction_id),
        )
        if answer is None:
            raise ServiceError("no_plate", "No license plate was recognized in the image.")
        return Response(answer)


# --- Webhook registration (platelens API, standard error shape) ----------------------------------------


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    target = serializers.URLField(max_length=500)
    event = serializers.CharField(default="image.done")
    with_image = serializers.BooleanField(default=False)
    is_active = serializers.BooleanField(read_only=True)
    consecutive_failures = serializers.IntegerField(read_only=True)
    disabled_reason = serializers.CharField(read_only=True)
    created_on = serializers.DateTimeField(read_only=True)


class WebhookListView(APIView):
    """GET, POST /api/compat/webhooks/."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response(WebhookSerializer(selectors.webhook_list(owner=request.user), many=True).data)

    def post(self, request):
        serializer = WebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook = services.webhook_create(owner=request.user, **serializer.validated_data)
        return Response(WebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    """GET, DELETE /api/compat/webhooks/<id>/."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request, pk: int):
        return Response(
            WebhookSerializer(get_object_or_404(selectors.webhook_list(owner=request.user), pk=pk)).data
        )

    def delete(self, request, pk: int):
        services.webhook_delete(webhook=get_object_or_404(selectors.webhook_list(owner=request.user), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
