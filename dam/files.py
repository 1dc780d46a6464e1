"""Private delivery of stored asset files: ownership is checked by the caller, this module hands the bytes
over, itself or through the reverse proxy (PLATELENS_MEDIA_ACCEL), or redirects to a remote storage's URL."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control

from .models import Asset

ACCEL_HEADERS = {"x-accel-redirect": "X-Accel-Redirect", "x-sendfile": "X-Sendfile"}


def private_file_response(asset: Asset) -> HttpResponse:
    """The asset's original bytes. With PLATELENS_MEDIA_ACCEL the proxy sends them: nginx reads
    X-Accel-Redirect (a URI under an `internal` location), Apache/lighttpd read X-Sendfile (a path)."""
    if not asset.file:
        raise Http404("The file is gone.")
    try:
        local = asset.file.path
    except NotImplementedError:  # object storage: its own (signed, expiring) URL
        return HttpResponseRedirect(asset.file.url)
    accel = ACCEL_HEADERS.get(settings.PLATELENS_MEDIA_ACCEL)
    if accel:
        response = HttpResponse(content_type=asset.content_type)
        if accel == "X-Accel-Redirect":
            response[accel] = settings.PLATELENS_MEDIA_ACCEL_PREFIX.rstrip("/") + "/" + quote(asset.file.name)
        else:
            response[accel] = local
    else:
        try:
            handle = open(local, "rb")  # noqa: SIM115 - FileResponse closes it
        except FileNotFoundError:
            raise Http404("The file is gone.") from None
        response = FileResponse(handle, content_type=asset.content_type)
    response["Content-Disposition"] = _inline(asset.original_filename)
    patch_cache_control(response, private=True, max_age=3600)
    return response


def _inline(filename: str) -> str:
    return f"inline; filename*=UTF-8''{quote(filename)}" if filename else "inline"
