"""Synthetic vehicle photos with a licence plate, generated with Pillow + OpenCV (no dataset needed): the
detector's int8 calibration set at `models install`, and the tests' photos.

`plate_photo("AB12CDE")` returns encoded image bytes the real detector finds and the real reader reads;
`plate_scene(...)` also returns where the plate is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PLATE_COLORS = {
    # background, text
    "white": ((242, 242, 238), (20, 20, 22)),
    "yellow": ((245, 200, 30), (20, 20, 22)),
    "blue": ((25, 70, 170), (245, 245, 245)),
    "green": ((30, 140, 70), (245, 245, 245)),
    "black": ((22, 22, 24), (240, 240, 240)),
}
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
)


@dataclass(frozen=True)
class Scene:
    data: bytes  # encoded image
    text: str
    polygon: tuple[tuple[float, float], ...]  # plate corners in the photo: TL, TR, BR, BL
    size: tuple[int, int]

    @property
    def box(self) -> tuple[int, int, int, int]:
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys))


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def _plate_image(text: str, width: int, plate_color: str) -> Image.Image:
    background, ink = PLATE_COLORS[plate_color]
    height = round(width / 4.6)
    plate = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(plate)
    border = max(2, width // 110)
    draw.rounded_rectangle(
        (border, border, width - 1 - border, height - 1 - border),
        radius=border * 3,
        outline=ink,
        width=border,
    )
    font = _font(round(height * 0.72))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    text_w, text_h = right - left, bottom - top
    usable = width * 0.86
    if text_w > usable:  # long texts: a narrower font size
        font = _font(max(8, round(height * 0.72 * usable / text_w)))
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        text_w, text_h = right - left, bottom - top
    draw.text(((width - text_w) / 2 - left, (height - text_h) / 2 - top), text, fill=ink, font=font)
    return plate


def _car_scene(
    size: tuple[int, int], rng: np.random.Generator
) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A road/wall background and the rear of a car; returns the image and the body's box."""
    width, height = size
    sky = np.linspace(150, 210, height, dtype=np.float32)[:, None, None] * np.ones((1, width, 3), np.float32)
    sky[int(height * 0.62) :] = 85  # road
    noise = rng.normal(0, 6, sky.shape).astype(np.float32)
    scene = Image.fromarray(np.clip(sky + noise, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(scene)
    body_color = tuple(int(c) for c in rng.integers(40, 200, 3))
    bx0, bx1 = int(width * 0.14), int(width * 0.86)
    by0, by1 = int(height * 0.22), int(height * 0.86)
    draw.rounded_rectangle((bx0, by0 + (by1 - by0) // 3, bx1, by1), radius=height // 18, fill=body_color)
    draw.rounded_rectangle(
        (bx0 + width // 12, by0, bx1 - width // 12, by0 + (by1 - by0) // 2),
        radius=height // 12,
        fill=tuple(max(c - 25, 0) for c in body_color),
    )
    glass = (by0 + (by1 - by0) // 14, by0 + (by1 - by0) // 3)
    draw.rounded_rectangle(
        (bx0 + width // 9, glass[0], bx1 - width // 9, glass[1]), radius=12, fill=(35, 45, 55)
    )
    light_y = by0 + int((by1 - by0) * 0.45)
    for lx in (bx0 + width // 40, bx1 - width // 40 - width // 9):
        draw.rounded_rectangle(
            (lx, light_y, lx + width // 9, light_y + height // 14), radius=8, fill=(190, 30, 30)
        )
    bumper_y = by0 + int((by1 - by0) * 0.80)
    draw.rectangle((bx0, bumper_y, bx1, by1), fill=(30, 30, 32))
    for wx in (bx0 + width // 20, bx1 - width // 20 - width // 9):
        draw.rectangle((wx, by1, wx + width // 9, min(by1 + height // 12, height - 1)), fill=(15, 15, 15))
    return scene, (bx0, by0, bx1, by1)


def plate_scene(
    text: str,
    *,
    size: tuple[int, int] = (1280, 720),
    angle: float = 0.0,
    perspective: float = 0.0,
    plate_color: str = "white",
    seed: int = 0,
    fmt: str = "JPEG",
    band: str | None = None,
) -> Scene:
    """Render `text` on a plate on the back of a car. angle: in-plane rotation in degrees (counter-clockwise);
    perspective: 0..0.4, how much shorter the plate's right edge is than its left (a car seen from the side);
    band: an EU identifier band with this country sign at the plate's left (white plates)."""
    if plate_color not in PLATE_COLORS:
        raise ValueError(f"plate_color must be one of {sorted(PLATE_COLORS)}")
    rng = np.random.default_rng(seed)
    scene, (bx0, by0, bx1, by1) = _car_scene(size, rng)
    plate_w = int((bx1 - bx0) * 0.36)
    plate = eu_plate(text, band, plate_w) if band else np.asarray(_plate_image(text, plate_w, plate_color))
    ph, pw = plate.shape[:2]
    cx = (bx0 + bx1) / 2 + rng.uniform(-0.02, 0.02) * size[0]
    cy = by0 + (by1 - by0) * 0.66
    # Plate corners before rotation, centred on (cx, cy); perspective shortens the right edge.
    half_w, half_h = pw / 2, ph / 2
    shrink = half_h * float(np.clip(perspective, 0.0, 0.6))
    corners = np.array(
        [[-half_w, -half_h], [half_w, -half_h + shrink], [half_w, half_h - shrink], [-half_w, half_h]],
        np.float32,
    )
    theta = np.radians(-angle)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], np.float32)
    corners = corners @ rotation.T + np.array([cx, cy], np.float32)
    data = _encoded(_pasted(scene, plate, corners).filter(ImageFilter.GaussianBlur(0.6)), fmt)
    polygon = tuple((float(x), float(y)) for x, y in corners)
    return Scene(data=data, text=text, polygon=polygon, size=size)


def _pasted(scene: Image.Image, plate: np.ndarray, corners: np.ndarray) -> Image.Image:
    """`plate` (RGB) warped onto `scene` with its corners (TL, TR, BR, BL) at `corners`."""
    ph, pw = plate.shape[:2]
    source = np.array([[0, 0], [pw - 1, 0], [pw - 1, ph - 1], [0, ph - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    canvas = np.asarray(scene).copy()
    warped = cv2.warpPerspective(plate, matrix, scene.size, flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, scene.size, flags=cv2.INTER_LINEAR)
    alpha = alpha.astype(np.float32)[..., None] / 255.0
    return Image.fromarray((canvas * (1 - alpha) + warped * alpha).astype(np.uint8))


def _encoded(image: Image.Image, fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"quality": 90} if fmt.upper() == "JPEG" else {}))
    return buffer.getvalue()


def real_plate_photo(
    plate: np.ndarray, *, share: float = 0.2, seed: int = 0, hard: bool = False, close_up: float | None = None
) -> bytes:
    """JPEG photo (1280x720) of a synthetic car carrying a real plate crop (RGB) `share` of the car's width
    wide, turned up to 4 degrees and seen up to 15 % from the side (the crops benchmark's scenes). `hard`: at
    dusk and out of focus, turned up to 8 degrees, seen up to 30 % from the side: the photo blurred (sigma 1-2
    px), darkened to 25-45 % with sensor noise and saved at JPEG quality 70. `close_up`: taken closer, the
    photo cut around the plate so that it fills that share of the frame's width (and enlarged back to
    1280x720): the car's back around a plate, as a phone held near it sees it."""
    rng = np.random.default_rng(seed)
    scene, (bx0, by0, bx1, by1) = _car_scene((1280, 720), rng)
    pw = max(8, int((bx1 - bx0) * share))
    ph = max(4, round(plate.shape[0] * pw / plate.shape[1]))
    plate = cv2.resize(plate, (pw, ph), interpolation=cv2.INTER_AREA)
    turn, side = (8, 0.3) if hard else (4, 0.15)
    theta, shrink = np.radians(rng.uniform(-turn, turn)), rng.uniform(0, side) * ph / 2
    corners = np.array(
        [[-pw / 2, -ph / 2], [pw / 2, -ph / 2 + shrink], [pw / 2, ph / 2 - shrink], [-pw / 2, ph / 2]],
        np.float32,
    )
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], np.float32)
    corners = corners @ rotation.T + np.array([(bx0 + bx1) / 2, by0 + (by1 - by0) * 0.66], np.float32)
    photo = _pasted(scene, plate, corners)
    if close_up:
        (cx, cy), width = corners.mean(axis=0), pw / close_up
        left, top = max(0.0, cx - width / 2), max(0.0, cy - width * 9 / 32)
        window = (round(left), round(top), round(left + width), round(top + width * 9 / 16))
        photo = photo.crop(window).resize((1280, 720), Image.Resampling.BICUBIC)
    if not hard:
        return _encoded(photo)
    dusk = np.asarray(photo.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 2.0))), np.float32)
    dusk = dusk * rng.uniform(0.25, 0.45) + rng.normal(0, 6, dusk.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(dusk, 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def plate_photo(
    text: str,
    *,
    size: tuple[int, int] = (1280, 720),
    angle: float = 0.0,
    perspective: float = 0.0,
    plate_color: str = "white",
    seed: int = 0,
    fmt: str = "JPEG",
    band: str | None = None,
) -> bytes:
    """Encoded photo (JPEG by default) of a car whose plate reads `text`."""
    return plate_scene(
        text,
        size=size,
        angle=angle,
        perspective=perspective,
        plate_color=plate_color,
        seed=seed,
        fmt=fmt,
        band=band,
    ).data


def two_row_plate(top: str, bottom: str, size: tuple[int, int] = (260, 190)) -> np.ndarray:
    """An RGB crop of a square plate with two rows of characters (motorcycle / square EU style)."""
    background, ink = PLATE_COLORS["white"]
    plate = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(plate)
    draw.rectangle((2, 2, size[0] - 3, size[1] - 3), outline=ink, width=3)
    font = _font(round(size[1] * 0.34))
    for row, text in enumerate((top, bottom)):
        left, up, right, down = draw.textbbox((0, 0), text, font=font)
        y = size[1] * (0.06 + 0.5 * row)
        draw.text(((size[0] - (right - left)) / 2 - left, y - up + size[1] * 0.04), text, fill=ink, font=font)
    return np.asarray(plate)


def one_row_plate(text: str, width: int = 320) -> np.ndarray:
    """An RGB crop of a one-row plate, cut to the plate."""
    return np.asarray(_plate_image(text, width, "white"))


def eu_plate(text: str, code: str | None, width: int = 320) -> np.ndarray:
    """An RGB crop of a one-row EU plate with its blue identifier band at the left (12 stars above the
    country code `code` in white); code None: a band without a code."""
    plate = _plate_image(text, width, "white")
    height = plate.height
    band_w = round(width * 0.085)
    draw = ImageDraw.Draw(plate)
    draw.rectangle((0, 0, band_w, height - 1), fill=(0, 60, 170))
    radius = band_w * 0.3
    centre = (band_w / 2, height * 0.3)
    for k in range(12):
        angle = 2 * np.pi * k / 12
        x, y = centre[0] + radius * np.cos(angle), centre[1] + radius * np.sin(angle)
        draw.ellipse((x - 1, y - 1, x + 1, y + 1), fill=(250, 210, 0))
    if code:  # letters about a fifth of the plate's height, inside the band with a margin
        size = round(height * 0.24)
        left, top, right, bottom = draw.textbbox((0, 0), code, font=_font(size))
        font = _font(max(6, min(size, round(size * 0.8 * band_w / max(right - left, 1)))))
        left, top, right, bottom = draw.textbbox((0, 0), code, font=font)
        x = (band_w - (right - left)) / 2 - left
        draw.text((x, height * 0.86 - bottom), code, fill=(245, 245, 245), font=font)
    return np.asarray(plate)


def mercosul_plate(text: str, width: int = 400) -> np.ndarray:
    """An RGB crop of a Brazilian Mercosul plate (400 x 130 mm): a blue band across the top with `BRASIL` in
    white between the Mercosul emblem and the flag, the number (`LLLDLDD`) in black below."""
    height = round(width * 130 / 400)
    plate = Image.new("RGB", (width, height), (245, 245, 245))
    draw = ImageDraw.Draw(plate)
    band = round(height * 0.22)
    draw.rectangle((0, 0, width - 1, band), fill=(20, 60, 160))
    draw.rectangle((6, 4, 6 + band, band - 4), fill=(200, 200, 200))  # the emblem
    draw.rectangle((width - round(band * 1.5) - 6, 4, width - 6, band - 4), fill=(0, 150, 60))  # the flag
    for label, size, top, bottom, ink in (
        ("BRASIL", round(band * 0.7), 0, band, (250, 250, 250)),
        (text, round(height * 0.55), band, height, (10, 10, 10)),
    ):
        font = _font(size)
        left, up, right, down = draw.textbbox((0, 0), label, font=font)
        draw.text(
            ((width - (right - left)) / 2 - left, (top + bottom - (down - up)) / 2 - up),
            label,
            fill=ink,
            font=font,
        )
    draw.rectangle((1, 1, width - 2, height - 2), outline=(10, 10, 10), width=2)
    return np.asarray(plate)


def us_plate(text: str, state: str | None, width: int = 300, *, name_below: bool = False) -> np.ndarray:
    """An RGB crop of a US plate (2:1) with the state's name printed small above the number (or below);
    state None: no name."""
    background, ink = PLATE_COLORS["white"]
    height = width // 2
    plate = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(plate)
    draw.rectangle((1, 1, width - 2, height - 2), outline=ink, width=2)
    font = _font(round(height * 0.45))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(
        ((width - (right - left)) / 2 - left, (height - (bottom - top)) / 2 - top), text, fill=ink, font=font
    )
    if state:
        font = _font(round(height * 0.15))
        left, top, right, bottom = draw.textbbox((0, 0), state, font=font)
        y = height * (0.84 if name_below else 0.06)
        draw.text(((width - (right - left)) / 2 - left, y - top), state, fill=(30, 50, 140), font=font)
    return np.asarray(plate)
