"""Test photos: the engine's synthetic car photos (`plates.synth`), plus images with no plate and the bad
inputs the engine must refuse (`corrupt_bytes(kind)`)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from plates.synth import PLATE_COLORS, Scene, one_row_plate, plate_photo, plate_scene, two_row_plate

__all__ = [
    "PLATE_COLORS",
    "SAMPLES",
    "Scene",
    "blank_photo",
    "corrupt_bytes",
    "one_row_plate",
    "plate_photo",
    "plate_scene",
    "two_row_plate",
    "write_samples",
]


def blank_photo(size: tuple[int, int] = (640, 480), fmt: str = "JPEG", color=(120, 140, 160)) -> bytes:
    """A valid image with no plate in it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def corrupt_bytes(kind: str) -> bytes:
    """Bad inputs: "empty", "text" (not an image), "truncated" (half a JPEG), "bomb" (a PNG header
        declaring 60 megapixels: refused before any pixel is decoded), "huge" (a 20000x20000 header, past Pillow's
    own bomb limit), "garbage" (random bytes)."""
    if kind == "empty":
        return b""
    if kind == "text":
        return b"this is not an image, just some text\n" * 4
    if kind == "truncated":
        data = plate_photo("AB12CDE", size=(640, 360))
        return data[: len(data) // 2]
    if kind == "bomb":
        buffer = io.BytesIO()
        Image.new("1", (10_000, 6_000)).save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    if kind == "huge":
        return huge_png_header(20_000, 20_000)
    if kind == "garbage":
        return np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    raise ValueError(f"unknown kind {kind!r}")


def huge_png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's calling card)."""
    buffer = io.BytesIO()
    Image.new("1", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    ihdr = data[12:29]  # b"IHDR" + 13 bytes of header fields
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


SAMPLES = {
    "ab12cde.jpg": ("AB12CDE", "white", 0.0),
    "ka123bc.jpg": ("KA123BC", "yellow", 6.0),
    "bx482oz.jpg": ("BX482OZ", "white", -4.0),
}


def write_samples(folder: Path) -> list[Path]:
    """The demo photos in fixtures/cars/ (regenerate: python -m tests.support.synth fixtures/cars)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (text, color, angle) in SAMPLES.items():
        path = folder / name
        path.write_bytes(plate_photo(text, size=(960, 540), plate_color=color, angle=angle, seed=7))
        written.append(path)
    return written


if __name__ == "__main__":
    import sys

    for path in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures/cars")):
        print(path)
