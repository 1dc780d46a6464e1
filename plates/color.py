"""Plate background colour from the crop: white, yellow, blue, green or black."""

from __future__ import annotations

import cv2
import numpy as np

COLORS = ("white", "yellow", "blue", "green", "black")


def plate_color(crop: np.ndarray) -> str:
    """Classify by the plate's background, i.e. the pixels on the majority side of its brightness."""
    if crop.size == 0:
        return "white"
    hsv = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.float32)
    value = np.ascontiguousarray(hsv[:, 2].astype(np.uint8)).reshape(-1, 1)
    threshold, _ = cv2.threshold(value, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = hsv[hsv[:, 2] > threshold]
    dark = hsv[hsv[:, 2] <= threshold]
    # Characters cover less area than the background: it is the larger side of an Otsu split.
    background = bright if len(bright) >= len(dark) or len(dark) == 0 else dark
    hue, sat, val = (float(np.median(background[:, i])) for i in range(3))
    if val < 70:
        return "black"
    if sat < 70:
        return "white" if val >= 110 else "black"
    if 15 <= hue < 35:
        return "yellow"
    if 35 <= hue < 88:
        return "green"
    if 88 <= hue < 135:
        return "blue"
    return "white"
