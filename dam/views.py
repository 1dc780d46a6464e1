"""Web pages of the DAM app (upload, asset list, asset page) and owner-checked thumbnails and crops."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from PIL import Image, ImageOps

from platelens.errors import ServiceError
from plates.errors import ImageError
from plates.images import open_image

from . import selectors
from .models import Asset

THUMBNAIL_SIZE = (320, 240)


def _asset_or_404(request: HttpRequest, request_uuid) -> Asset:
    try:
        return selectors.asset_get(user=request.user, request_uuid=request_uuid)
    except ServiceError:
        raise Http404("No such asset.") from None


def _image_response(image: Image.Image) -> HttpResponse:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return HttpResponse(buffer.getvalue(), content_type="image/jpeg")


@login_required
@require_GET
def upload_page(request: HttpRequest) -> HttpResponse:
    recent = selectors.asset_list(user=request.user)[:12]
    return render(request, "dam/upload.html", {"recent": recent})


@login_required
@require_GET
def asset_list_page(request: HttpRequest) -> HttpResponse:
    try:
        assets = selectors.asset_list(user=request.user, filters=request.GET)
    except ServiceError as exc:
        assets = Asset.objects.none()
        request.filter_error = exc.message
    page = Paginator(assets, 24).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dam/asset_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "filters": request.GET,
            "statuses": Asset.Status.choices,
            "filter_error": getattr(request, "filter_error", ""),
        },
    )


@login_required
@require_GET
def asset_page(request: HttpRequest, request_uuid) -> HttpResponse:
    asset = _asset_or_404(request, request_uuid)
    return render(
        request, "dam/asset_detail.html", {"asset": asset, "readings": selectors.asset_readings(asset)}
    )


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def asset_thumbnail(request: HttpRequest, request_uuid) -> HttpResponse:
    asset = _asset_or_404(request, request_uuid)
    try:
        with (
            asset.file.open("rb") as handle,
            open_image(handle, max_megapixels=settings.PLATELENS_MAX_MEGAPIXELS) as image,
        ):
            image = ImageOps.exif_transpose(image)
            image.thumbnail(THUMBNAIL_SIZE)
            return _image_response(image)
    except (OSError, ImageError):
        raise Http404("No thumbnail for this asset.") from None


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def reading_crop(request: HttpRequest, request_uuid, reading_id: int) -> HttpResponse:
    """The plate as the model saw it: the reading's box cut from the image, with a small margin."""
    asset = _asset_or_404(request, request_uuid)
    try:
        reading = selectors.reading_get(asset=asset, reading_id=reading_id)
    except ServiceError:
        raise Http404("No such reading.") from None
    box = reading.box or {}
    try:
        with (
            asset.file.open("rb") as handle,
            open_image(handle, max_megapixels=settings.PLATELENS_MAX_MEGAPIXELS) as image,
        ):
            image = ImageOps.exif_transpose(image)
            margin = 0.08 * max(1, box["xmax"] - box["xmin"])
            crop = image.crop(
                (
                    max(0, int(box["xmin"] - margin)),
                    max(0, int(box["ymin"] - margin)),
                    min(image.width, int(box["xmax"] + margin)),
                    min(image.height, int(box["ymax"] + margin)),
                )
            )
            return _image_response(crop)
    except (OSError, ImageError, KeyError, TypeError):
        raise Http404("No crop for this reading.") from None
