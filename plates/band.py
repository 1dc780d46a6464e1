"""The EU identifier band: a saturated blue strip at a plate's left edge with the country code in white at
its bottom (D, F, SK, ...). Finding it is a per-column colour test (no model); its code is read by a text
recognizer (the pipeline's is PP-OCRv6 small), constrained to known codes, and becomes region evidence for
format correction."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .ctc import CtcReader, log_likelihoods, log_probabilities

# Distinguishing signs printed in the band (Vienna Convention codes) -> region code (ISO 3166, the codes of
# plates.formats; signs of countries without listed formats still name the region).
BAND_CODES: dict[str, str] = {
    "A": "at",
    "B": "be",
    "BG": "bg",
    "CY": "cy",
    "CZ": "cz",
    "D": "de",
    "DK": "dk",
    "E": "es",
    "EST": "ee",
    "F": "fr",
    "FIN": "fi",
    "GB": "gb",
    "GR": "gr",
    "H": "hu",
    "HR": "hr",
    "I": "it",
    "IRL": "ie",
    "L": "lu",
    "LT": "lt",
    "LV": "lv",
    "M": "mt",
    "N": "no",
    "NL": "nl",
    "P": "pt",
    "PL": "pl",
    "RO": "ro",
    "S": "se",
    "SK": "sk",
    "SLO": "si",
    "UK": "gb",
}

# OpenCV HSV (hue 0-180): the band's reflex blue, saturated and not dark.
BLUE_HUE = (95, 135)
MIN_SATURATION = 80
MIN_VALUE = 40
COLUMN_SHARE = 0.5  # a band column is blue over at least half of the crop's height
MAX_START = 0.08  # the band starts within this share of the crop's width (padding, the plate's frame)
WIDTH_RANGE = (0.045, 0.18)  # band width / crop width (about 0.08 on a 520 mm plate)
MAX_REST_BLUE = 0.15  # the plate right of the band is not blue (a blue plate has no band)
MIN_HEIGHT_PX = 14  # smaller crops: the code is a few pixels, not readable
CODE_TOP = 0.5  # the code sits in the band's lower half (the stars above)
# Geometric-mean probability per character of the sign read. On 250 rendered, blurred, JPEG'd bands no
# wrong sign was accepted down to 0.3: the margin below is the main guard.
MIN_CODE_CONFIDENCE = 0.4
MIN_CODE_MARGIN = 2.0  # nats between the best code and the next one


@dataclass(frozen=True)
class Band:
    x0: int  # columns of the crop the band covers
    x1: int

    y0: int  # rows of the crop the band covers
    y1: int

    def code_patch(self, crop: np.ndarray) -> np.ndarray:
        """The band's lower part, where its country code is printed, cut to the rows holding the code's
        light letters (the reader reads letters that fill its input's height best)."""
        top = self.y0 + int((self.y1 - self.y0) * CODE_TOP)
        patch = crop[top : self.y1, self.x0 : self.x1]
        grey = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY)
        if grey.size == 0 or int(grey.max()) - int(grey.min()) < 30:
            return np.ascontiguousarray(patch)
        _, light = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        rows = np.nonzero(light.mean(axis=1) > 0.1)[0]
        if rows.size == 0:
            return np.ascontiguousarray(patch)
        margin = max(1, (rows[-1] - rows[0]) // 5)
        return np.ascontiguousarray(patch[max(0, rows[0] - margin) : rows[-1] + 1 + margin])


def blue_mask(crop: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(crop, cv2.COLOR_RGB2HSV)
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    return (hue >= BLUE_HUE[0]) & (hue <= BLUE_HUE[1]) & (saturation >= MIN_SATURATION) & (value >= MIN_VALUE)


def find_band(crop: np.ndarray) -> Band | None:
    """The identifier band of an RGB plate crop, or None: a run of blue columns starting at the left edge,
    of a band's width, with no blue plate to its right."""
    height, width = crop.shape[:2]
    if height < MIN_HEIGHT_PX or width < 4 * height // 3:
        return None
    mask = blue_mask(crop)
    share = mask.mean(axis=0)
    blue = share >= COLUMN_SHARE
    start = int(np.argmax(blue)) if blue.any() else width
    if start > MAX_START * width:
        return None
    end = start
    while end < width and blue[end]:
        end += 1
    band_width = (end - start) / width
    if not WIDTH_RANGE[0] <= band_width <= WIDTH_RANGE[1]:
        return None
    # The band's own right edge may be soft (anti-aliased, JPEG): look past a few columns.
    rest = share[min(width, end + max(2, width // 50)) :]
    if rest.size == 0 or rest.mean() > MAX_REST_BLUE:
        return None
    rows = np.nonzero(mask[:, start:end].mean(axis=1) >= COLUMN_SHARE)[0]
    return Band(start, end, int(rows[0]), int(rows[-1]) + 1)


def code_patch_for_reader(patch: np.ndarray) -> np.ndarray:
    """White letters on blue, tiny: upscaled (the reader resizes to 48 px high anyway) and padded to a
    short line with the band's own colour, so the letters are not read against the reader's padding."""
    height, width = patch.shape[:2]
    scale = max(1.0, 48 / max(height, 1))
    patch = cv2.resize(patch, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_CUBIC)
    fill = [int(c) for c in np.median(patch.reshape(-1, 3), axis=0)]
    side = patch.shape[0] // 2
    return cv2.copyMakeBorder(patch, 0, 0, side, side, cv2.BORDER_CONSTANT, value=fill)


def read_code(emissions: np.ndarray, symbols: str) -> tuple[str | None, float]:
    """The country code a band patch's emissions support, constrained to BAND_CODES: the best code when it is
    confident (geometric-mean probability per character) and clearly ahead of the next; else None."""
    index = {s: i for i, s in enumerate(symbols)}
    codes = list(BAND_CODES)
    values = log_likelihoods(log_probabilities(emissions), [[index[c] for c in code] for code in codes])
    scored = sorted(zip(values.tolist(), codes, strict=True), reverse=True)
    (best_ll, best), (second_ll, _) = scored[0], scored[1]
    confidence = math.exp(best_ll / len(best))
    if confidence < MIN_CODE_CONFIDENCE or best_ll - second_ll < MIN_CODE_MARGIN:
        return None, round(confidence, 3)
    return best, round(confidence, 3)


def band_codes(reader: CtcReader, crops: list[np.ndarray]) -> list[tuple[str | None, float] | None]:
    """For each plate crop: None without a band, else (code or None, confidence). One recognizer batch for
    every band found, no decoding beyond the known codes' likelihoods."""
    bands = [find_band(c) for c in crops]
    patches = [code_patch_for_reader(b.code_patch(c)) for b, c in zip(bands, crops, strict=True) if b]
    if not patches:
        return [None] * len(crops)
    emissions = iter(reader.alphabet.reduce(p) for p in reader.probabilities(patches))
    return [read_code(next(emissions), reader.alphabet.symbols) if b else None for b in bands]
