"""How the detector looks at an image: at which size, and seen as what (light without onnxruntime, so that
the engine's version is known without loading it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np


def _equalised(image: np.ndarray) -> np.ndarray:
    """The image in grey, its contrast equalised locally (CLAHE): a plate in a dim or hazy photo stands out."""
    grey = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
    return np.repeat(grey[:, :, None], 3, axis=2)


# How a look sees the image. "inverted": a plate with light characters on a dark ground (night/IR shots, red,
# black, dark blue plates) looks like the dark-on-light plates the detector was trained on.
VIEWS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "image": lambda image: image,
    "equalised": _equalised,
    "inverted": lambda image: 255 - _equalised(image),
}
# "zoomed_out": the image itself at half the look's size, centred on the look's canvas, so that a plate filling
# the photo (a close-up) is the size of one on a car seen from farther: the detector finds close-ups in pieces.
ZOOMED_OUT = "zoomed_out"
VIEW_NAMES = (*VIEWS, ZOOMED_OUT)
VIEW_TAGS = {"image": "", "equalised": "eq", "inverted": "inv", ZOOMED_OUT: "zo"}  # in the engine version


@dataclass(frozen=True)
class Look:
    """One pass of the detector: the image seen as `view` (one of VIEW_NAMES), letterboxed to `size`."""

    size: int
    view: str = "image"

    @property
    def tag(self) -> str:
        return f"{VIEW_TAGS[self.view]}{self.size}"

    def __str__(self) -> str:  # as the PLATES_DETECTOR_LOOKS setting writes it
        return str(self.size) if self.view == "image" else f"{self.view}:{self.size}"

    @classmethod
    def parse(cls, text: str) -> Look:
        """`512` or `inverted:512`; ValueError for anything else."""
        view, _, size = text.strip().rpartition(":")
        look = cls(int(size), view or "image")
        if look.view not in VIEW_NAMES or not 64 <= look.size <= 2048 or look.size % 32:
            raise ValueError(f"not a look: {text!r}")
        return look
