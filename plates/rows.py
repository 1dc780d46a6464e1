"""Two-row plates (motorcycles, square EU and Brazilian plates): find the gap between two text rows of a
plate crop from its horizontal projection profile, so each row can be read on its own."""

from __future__ import annotations

import cv2
import numpy as np

MAX_ASPECT = 2.6  # wider crops are one-row plates (a one-row EU plate is about 4.7:1, US 2:1)
MIN_ROW_SHARE = 0.15  # each row's text at least this share of the crop height
MAX_ROW_RATIO = 1.3  # two rows of plate characters are about equally tall (a state name above is not)
MIN_PEAK_RATIO = 0.4  # ... and about equally strong
MAX_VALLEY = 0.35  # the gap's text energy, relative to the weaker row's


def split_rows(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(top row, bottom row) of an RGB plate crop holding two text rows of similar height, else None."""
    height, width = crop.shape[:2]
    if height < 16 or width / height > MAX_ASPECT:
        return None
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    # Text is where the horizontal gradient is strong; plain paint is not, and the plate's side borders
    # (left out) and background clutter add a floor that is taken off.
    inner = grey[:, int(width * 0.05) : width - int(width * 0.05)]
    energy = np.abs(np.diff(inner, axis=1)).mean(axis=1)
    energy = np.maximum(energy - np.percentile(energy, 5), 0.0)
    kernel = max(3, height // 20) | 1
    profile = np.convolve(energy, np.ones(kernel) / kernel, mode="same")
    margin = int(height / 3)  # the gap lies in the middle third
    middle = profile[margin : height - margin]
    if middle.size == 0:
        return None
    cut = margin + int(np.argmin(middle))
    top, bottom = profile[:cut], profile[cut:]
    if top.size == 0 or bottom.size == 0:
        return None
    weaker, stronger = sorted((top.max(), bottom.max()))
    if weaker <= 0 or profile[cut] > MAX_VALLEY * weaker or weaker < MIN_PEAK_RATIO * stronger:
        return None
    # Each side must hold a real row of text, not a thin strip of slogan.
    rows = [(side > 0.5 * side.max()).sum() for side in (top, bottom)]
    if min(rows) < MIN_ROW_SHARE * height or max(rows) > MAX_ROW_RATIO * min(rows):
        return None
    return np.ascontiguousarray(crop[:cut]), np.ascontiguousarray(crop[cut:])
