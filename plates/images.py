"""Decode and validate image bytes before anything else touches them (used by the CLI and the service)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

DEFAULT_MAX_MEGAPIXELS = 50
FORMAT_CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}


@dataclass(frozen=True)
class DecodedImage:
    rgb: np.ndarray  # H x W x 3, uint8, EXIF orientation applied
    format: str  # Pillow's format name, e.g. "JPEG"
    content_type: str
    width: int
    height: int


def decode_image(data: bytes, *, max_megapixels: float = DEFAULT_MAX_MEGAPIXELS) -> DecodedImage:
    """Decode bytes into RGB pixels, refusing empty, non-image, truncated and oversize (bomb) inputs."""
    if not data:
        raise ImageError("The file is empty.", code="empty_image")
    max_pixels = int(max_megapixels * 1_000_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                if width * height > max_pixels:
                    raise ImageError(
                        f"The image has {width}x{height} pixels, more than the {max_megapixels:g} megapixel limit.",
                        code="image_too_large",
                    )
                if fmt not in FORMAT_CONTENT_TYPES:
                    raise ImageError(
                        f"Image format {fmt or 'unknown'} is not supported.", code="unsupported_format"
                    )
                probe.load()
                image = ImageOps.exif_transpose(probe).convert("RGB")
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"The image is too large to decode safely: {exc}", code="image_too_large") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("The file is not an image Pillow can decode.", code="not_an_image") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"The image is truncated or corrupt: {exc}", code="truncated_image") from exc
    rgb = np.asarray(image, dtype=np.uint8)
    return DecodedImage(
        rgb=rgb,
        format=fmt,
        content_type=FORMAT_CONTENT_TYPES[fmt],
        width=int(rgb.shape[1]),
        height=int(rgb.shape[0]),
    )
