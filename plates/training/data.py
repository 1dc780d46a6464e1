"""Training material for the plate reader: the real crops (with fixed, committed validation splits),
synthetic plates (DejaVu fonts, and real UK/BR glyphs composed into plates) and photo-like augmentation."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..ctc import LATIN
from ..formats import FORMATS

SPLITS_DIR = Path(__file__).resolve().parent / "splits"
SEED = 20261201
US_VAL_FRACTION = 0.2
BR_VAL_FRACTION = 0.15
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ("DejaVuSans-Bold.ttf", "DejaVuSansCondensed-Bold.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSans.ttf")
LETTERS = LATIN[:26]
DIGITS = LATIN[26:]
LOOKALIKE_LETTERS = "ODQILZSGB"
LOOKALIKE_DIGITS = "012568"


@dataclass(frozen=True)
class Sample:
    path: Path
    text: str
    group: str  # "us-<state>", "br"


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def us_samples(root: Path) -> list[Sample]:
    folder = root / "plate-crops-us"
    return [
        Sample(folder / r["file"], r["plate"].upper(), f"us-{r['state']}")
        for r in _rows(folder / "labels.csv")
    ]


def br_samples(root: Path) -> list[Sample]:
    folder = root / "plate-crops-br"
    return [Sample(folder / r["file"], r["plate"].upper(), "br") for r in _rows(folder / "labels.csv")]


def make_splits(root: Path) -> dict[str, list[str]]:
    """Validation file lists: US stratified by state (by file), BR by plate text (no plate on both sides)."""
    rng = random.Random(SEED)
    us_val = []
    by_state: dict[str, list[str]] = {}
    for s in us_samples(root):
        by_state.setdefault(s.group, []).append(s.path.name)
    for state in sorted(by_state):
        files = sorted(by_state[state])
        rng.shuffle(files)
        us_val += files[: max(1, round(len(files) * US_VAL_FRACTION))]
    br = br_samples(root)
    plates = sorted({s.text for s in br})
    rng.shuffle(plates)
    held = set(plates[: round(len(plates) * BR_VAL_FRACTION)])
    br_val = [s.path.name for s in br if s.text in held]
    return {"us": sorted(us_val), "br": sorted(br_val)}


def write_splits(root: Path, folder: Path = SPLITS_DIR) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, files in make_splits(root).items():
        (folder / f"{name}_val.txt").write_text("\n".join(files) + "\n", encoding="utf-8")


def validation_files(name: str, folder: Path = SPLITS_DIR) -> set[str]:
    """The committed held-out file names of plate-crops-<name> (us, br)."""
    return set((folder / f"{name}_val.txt").read_text(encoding="utf-8").split())


def label_errors(name: str, folder: Path = SPLITS_DIR) -> dict[str, str]:
    """Held-out files of plate-crops-<name> whose label is known wrong (checked by eye) -> the plate as
    printed; empty when no such list exists."""
    path = folder / f"{name}_label_errors.txt"
    if not path.is_file():
        return {}
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return {r[0]: r[2] for r in rows if len(r) == 3 and not r[0].startswith("#")}


def split(samples: list[Sample], held_out: set[str]) -> tuple[list[Sample], list[Sample]]:
    train = [s for s in samples if s.path.name not in held_out]
    val = [s for s in samples if s.path.name in held_out]
    return train, val


def load_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"cannot read {path}")
    return np.ascontiguousarray(image[:, :, ::-1])


# ---------------------------------------------------------------- synthetic plate texts


def random_text(rng: random.Random) -> str:
    """A plate-like string: a listed country pattern (70%) or a free vanity-style string, with look-alike
    glyphs over-represented so the reader must tell 0/O/D, 1/I/L, 2/Z, 5/S, 6/G, 8/B apart from the glyph."""

    def letter() -> str:
        return rng.choice(LOOKALIKE_LETTERS) if rng.random() < 0.35 else rng.choice(LETTERS)

    def digit() -> str:
        return rng.choice(LOOKALIKE_DIGITS) if rng.random() < 0.35 else rng.choice(DIGITS)

    if rng.random() < 0.7:
        code = rng.choice([c for c in FORMATS if c != "cn"])
        pattern = rng.choice(FORMATS[code])
    else:
        pattern = "".join(rng.choice("LDX") for _ in range(rng.randint(3, 8)))
    return "".join(
        letter() if k == "L" else digit() if k == "D" else (letter() if rng.random() < 0.5 else digit())
        for k in pattern
    )


def _groups(text: str, rng: random.Random) -> list[str]:
    """Split a plate string into 1-3 groups, as printed plates space them."""
    if len(text) < 4 or rng.random() < 0.3:
        return [text]
    cuts = sorted(rng.sample(range(1, len(text)), k=min(len(text) - 1, rng.choice((1, 1, 2)))))
    return [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)], strict=True)]


PALETTES = (  # (background, text)
    ((245, 245, 245), (15, 15, 15)),
    ((250, 210, 40), (10, 10, 10)),
    ((230, 230, 220), (20, 40, 120)),
    ((20, 20, 20), (235, 235, 235)),
    ((200, 200, 205), (30, 30, 30)),
    ((240, 240, 240), (150, 20, 20)),
    ((30, 70, 160), (245, 245, 245)),
    ((225, 235, 245), (20, 60, 40)),
)


def render_font_plate(text: str, rng: random.Random) -> np.ndarray:
    """A one-row plate in a DejaVu font: colours, spacing, separators, border, optional EU blue band."""
    font = ImageFont.truetype(str(FONT_DIR / rng.choice(FONTS)), rng.randint(62, 84))
    background, ink = rng.choice(PALETTES)
    if rng.random() < 0.5:
        background = tuple(int(np.clip(c + rng.randint(-25, 25), 0, 255)) for c in background)
    parts = _groups(text, rng)
    separator = rng.choice(["  ", " ", "-", " ", "·"])
    spacing = rng.randint(-3, 8)
    height = 100
    widths = [font.getlength(ch) + spacing for ch in text]
    sep_width = font.getlength(separator) if len(parts) > 1 else 0
    band = rng.random() < 0.3
    band_width = 28 if band else 0
    width = int(sum(widths) + sep_width * (len(parts) - 1) + 30 + band_width + rng.randint(0, 40))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    x = 15 + band_width + rng.randint(0, 20)
    top = (height - 80) // 2 + rng.randint(-6, 6)
    for i, part in enumerate(parts):
        if i:
            draw.text((x, top), separator, font=font, fill=ink)
            x += sep_width
        for ch in part:
            draw.text((x, top), ch, font=font, fill=ink)
            x += font.getlength(ch) + spacing
    if band:
        draw.rectangle((0, 0, band_width, height), fill=(20, 50, 170))
        small = ImageFont.truetype(str(FONT_DIR / FONTS[0]), 18)
        draw.text(
            (4, 62),
            rng.choice(["D", "F", "SK", "CZ", "NL", "B", "PL", "I", "E", "A"]),
            font=small,
            fill=(240, 240, 240),
        )
    if rng.random() < 0.7:
        draw.rectangle((1, 1, width - 2, height - 2), outline=ink, width=rng.randint(1, 4))
    return np.asarray(image)


class Glyphs:
    """Real characters cut from UK and Brazilian plates, composed into synthetic plates."""

    def __init__(self, root: Path):
        folder = root / "plate-glyphs"
        self.by_country: dict[str, dict[str, list[Path]]] = {}
        for r in _rows(folder / "labels.csv"):
            self.by_country.setdefault(r["country"], {}).setdefault(r["char"].upper(), []).append(
                folder / r["file"]
            )
        self.cache: dict[Path, np.ndarray] = {}

    def _glyph(self, path: Path) -> np.ndarray:
        if path not in self.cache:
            self.cache[path] = load_rgb(path)
        return self.cache[path]

    def compose(self, rng: random.Random) -> tuple[np.ndarray, str]:
        country = rng.choice(sorted(self.by_country))
        chars = self.by_country[country]
        pattern = "LLDDLLL" if country == "gb" else "LLLDDDD"
        if rng.random() < 0.4:
            pattern = "".join(rng.choice("LD") for _ in range(rng.randint(4, 8)))
        text = ""
        for k in pattern:
            pool = [c for c in chars if (c.isalpha() if k == "L" else c.isdigit())]
            text += rng.choice(pool)
        height = 64
        pieces = []
        gap_at = len(text) // 2 + rng.randint(-1, 1) if rng.random() < 0.6 else -1
        for i, ch in enumerate(text):
            glyph = self._glyph(rng.choice(chars[ch]))
            scale = height / glyph.shape[0]
            glyph = cv2.resize(glyph, (max(1, int(glyph.shape[1] * scale)), height))
            if i == gap_at:
                pieces.append(
                    np.full((height, rng.randint(8, 20), 3), glyph[:, :2].reshape(-1, 3).mean(0), np.uint8)
                )
            pieces.append(glyph)
        strip = np.concatenate(pieces, axis=1)
        fill = tuple(int(v) for v in np.median(strip[[0, -1]].reshape(-1, 3), axis=0))
        pad_y, pad_x = rng.randint(4, 14), rng.randint(6, 24)
        plate = cv2.copyMakeBorder(strip, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_CONSTANT, value=fill)
        return plate, text


# ---------------------------------------------------------------- augmentation


def augment(image: np.ndarray, rng: random.Random, strength: float = 1.0) -> np.ndarray:
    """Photo-like variation of a plate crop: loose/tight crop, perspective, blur, resolution, light,
    colour, noise, JPEG. Text stays readable; labels are unchanged."""
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    h, w = image.shape[:2]
    # Crop jitter: the detector's box is sometimes loose, sometimes clips an edge.
    dx = [int(w * rng.uniform(-0.04, 0.08) * strength) for _ in range(2)]
    dy = [int(h * rng.uniform(-0.08, 0.12) * strength) for _ in range(2)]
    image = cv2.copyMakeBorder(
        image, max(dy[0], 0), max(dy[1], 0), max(dx[0], 0), max(dx[1], 0), cv2.BORDER_REPLICATE
    )
    image = image[
        max(-dy[0], 0) : image.shape[0] - max(-dy[1], 0), max(-dx[0], 0) : image.shape[1] - max(-dx[1], 0)
    ]
    h, w = image.shape[:2]
    if rng.random() < 0.6 * strength:
        jitter = 0.06 * strength
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = src + np.float32(
            [[rng.uniform(-jitter, jitter) * w, rng.uniform(-jitter, jitter) * h] for _ in range(4)]
        )
        matrix = cv2.getPerspectiveTransform(src, dst)
        image = cv2.warpPerspective(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.3:  # horizontal stretch/squeeze
        image = cv2.resize(image, (max(8, int(w * rng.uniform(0.8, 1.25))), h))
    if rng.random() < 0.4:  # low resolution
        target = rng.randint(14, 32)
        scale = target / image.shape[0]
        small = cv2.resize(image, (max(4, int(image.shape[1] * scale)), target), interpolation=cv2.INTER_AREA)
        image = cv2.resize(small, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.3:
        k = rng.choice((3, 5))
        image = cv2.GaussianBlur(image, (k, k), 0)
    elif rng.random() < 0.15:
        k = rng.choice((3, 5, 7))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2] = 1.0 / k
        image = cv2.filter2D(image, -1, kernel)
    out = image.astype(np.float32)
    if rng.random() < 0.3:
        out = out[:, :, list(nrng.permutation(3))]
    if rng.random() < 0.15:  # night / infrared: grey, contrasty
        grey = out.mean(axis=2, keepdims=True)
        out = np.repeat(np.clip((grey - 128) * rng.uniform(1.2, 2.0) + 128, 0, 255), 3, axis=2)
    elif rng.random() < 0.15:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
    if rng.random() < 0.05:
        out = 255 - out
    out = out * rng.uniform(0.6, 1.3) + rng.uniform(-40, 40)
    if rng.random() < 0.3:  # uneven light: a horizontal gradient
        ramp = np.linspace(rng.uniform(0.6, 1.0), rng.uniform(0.9, 1.3), out.shape[1], dtype=np.float32)
        out = out * ramp[None, :, None]
    if rng.random() < 0.4:
        out = out + nrng.normal(0, rng.uniform(2, 12), out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(20, 90)])
        if ok:
            out = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(out)
