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


@dataclass(frozen=True)
class View:
    """How a look sees the image: `see` turns it into what the detector is given, letterboxed at 1/`shrink`
    of the look's size on the look's canvas; a box counts only where it spans `min_width` of the image's width;
    `tag` names it in the engine version."""

    tag: str
    see: Callable[[np.ndarray], np.ndarray]
    shrink: int = 1
    min_width: float = 0.0

    def counts(self, box_width: int, image_width: int) -> bool:
        """Whether a box this wide counts in this view of an image that wide."""
        return box_width >= self.min_width * image_width


def _itself(image: np.ndarray) -> np.ndarray:
    return image


VIEWS: dict[str, View] = {
    "image": View("", _itself),
    # At half size, centred on the look's canvas: a plate filling the photo (a close-up) is the size of one on
    # a car seen from farther (the detector finds close-ups in pieces).
    "zoomed_out": View("zo", _itself, shrink=2),
    # The image small (a look at 160): a plate filling much of the photo is then the size of one on a car seen
    # from a few metres. Only close-ups count: a box under a quarter of the image's width is what the larger
    # looks see better, and at this size it is as often a plate-shaped patch (measured: openalpr-eu with the
    # plate painted over, 7 more photos with a reading, all scoring 0.23 or less, without this floor).
    "close_up": View("cu", _itself, min_width=0.25),
    "equalised": View("eq", _equalised),
    # A plate with light characters on a dark ground (night/IR shots, red, black, dark blue plates) looks like
    # the dark-on-light plates the detector was trained on.
    "inverted": View("inv", lambda image: 255 - _equalised(image)),
}


@dataclass(frozen=True)
class Look:
    """One pass of the detector: the image seen as `view` (a key of VIEWS), letterboxed to `size`."""

    size: int
    view: str = "image"

    @property
    def tag(self) -> str:
        return f"{VIEWS[self.view].tag}{self.size}"

    def __str__(self) -> str:  # as the PLATES_DETECTOR_LOOKS setting writes it
        return str(self.size) if self.view == "image" else f"{self.view}:{self.size}"

    @classmethod
    def parse(cls, text: str) -> Look:
        """`512` or `inverted:512`; ValueError for anything else."""
        view, _, size = text.strip().rpartition(":")
        look = cls(int(size), view or "image")
        if look.view not in VIEWS or not 64 <= look.size <= 2048 or look.size % 32:
            raise ValueError(f"not a look: {text!r}")
        return look
