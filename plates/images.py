"""Decode and validate image bytes before anything else touches them (used by the CLI and the service)."""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

DEFAULT_MAX_MEGAPIXELS = 50
ORIENTATION_TAG = 0x0112
# EXIF orientations that swap width and height.
TRANSPOSING_ORIENTATIONS = {5, 6, 7, 8}
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
    width: int  # of the image itself (EXIF orientation applied), even when `rgb` was decoded smaller
    height: int
    scale: float = 1.0  # rgb pixels per image pixel: < 1 when a large JPEG was decoded at a reduced size


@dataclass(frozen=True)
class ImageFacts:
    format: str  # Pillow's format name, e.g. "JPEG"
    width: int
    height: int


@contextmanager
def open_image(
    source: bytes | BinaryIO, *, max_megapixels: float = DEFAULT_MAX_MEGAPIXELS
) -> Iterator[Image.Image]:
    """The one place untrusted image bytes are opened. Yields the lazily decoded Pillow image once its header
    passes the pixel limit; any decoding failure inside the `with` block (bombs, truncation, garbage) is
    raised as ImageError with a message that names the limit the user can act on."""
    if isinstance(source, bytes | bytearray):
        if not source:
            raise ImageError("The file is empty.", code="empty_image")
        source = io.BytesIO(source)
    too_large = ImageError(
        f"The image is larger than the {max_megapixels:g} megapixel limit.", code="image_too_large"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
                if width * height > max_megapixels * 1_000_000:
                    raise ImageError(
                        f"The image has {width}x{height} pixels, more than the {max_megapixels:g} "
                        "megapixel limit.",
                        code="image_too_large",
                    )
                yield image
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc  # Pillow's own limit, hit before ours could be checked
    except UnidentifiedImageError as exc:
        raise ImageError("The file is not an image that can be decoded.", code="not_an_image") from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, struct.error) as exc:
        raise ImageError("The image is truncated or corrupt.", code="truncated_image") from exc


def probe_image(data: bytes, *, max_megapixels: float = DEFAULT_MAX_MEGAPIXELS) -> ImageFacts:
    """Format and size from the header only (no pixel decoding), refusing what open_image refuses."""
    with open_image(data, max_megapixels=max_megapixels) as image:
        return ImageFacts(format=image.format or "", width=image.size[0], height=image.size[1])


def decode_image(
    data: bytes, *, max_megapixels: float = DEFAULT_MAX_MEGAPIXELS, min_side: int | None = None
) -> DecodedImage:
    """Decode bytes into RGB pixels, refusing empty, non-image, truncated, unsupported and oversize inputs.
    min_side: a JPEG whose long side is at least twice this is decoded at the smallest of libjpeg's 1/2, 1/4,
    1/8 scales that keeps its long side >= min_side (several times faster; every byte is still decoded)."""
    with open_image(data, max_megapixels=max_megapixels) as probe:
        fmt = probe.format or ""
        if fmt not in FORMAT_CONTENT_TYPES:
            raise ImageError(f"Image format {fmt or 'unknown'} is not supported.", code="unsupported_format")
        width, height = probe.size
        if min_side and fmt == "JPEG" and max(width, height) >= 2 * min_side:
            probe.draft(probe.mode, _draft_request(width, height, min_side))
        scale = probe.size[0] / width
        probe.load()
        if probe.getexif().get(ORIENTATION_TAG) in TRANSPOSING_ORIENTATIONS:
            width, height = height, width
        image = ImageOps.exif_transpose(probe).convert("RGB")
    rgb = np.asarray(image, dtype=np.uint8)
    return DecodedImage(
        rgb=rgb,
        format=fmt,
        content_type=FORMAT_CONTENT_TYPES[fmt],
        width=int(width),
        height=int(height),
        scale=scale,
    )


def _draft_request(width: int, height: int, min_side: int) -> tuple[int, int]:
    """The size to ask Pillow's draft() for: it picks the largest reduction still at least this big."""
    ratio = min_side / max(width, height)
    return max(1, int(width * ratio)), max(1, int(height * ratio))
