"""Contracts of the engine: result types and the detector / reader interfaces every adapter implements."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class BoundingBox:
    xmin: int
    ymin: int
    xmax: int
    ymax: int

    def as_dict(self) -> dict[str, int]:
        return {"xmin": self.xmin, "ymin": self.ymin, "xmax": self.xmax, "ymax": self.ymax}


def box_iou(a: dict, b: dict) -> float:
    """Intersection over union of two {xmin, ymin, xmax, ymax} boxes; 0.0 when either is empty or malformed."""
    try:
        ix = max(0.0, min(a["xmax"], b["xmax"]) - max(a["xmin"], b["xmin"]))
        iy = max(0.0, min(a["ymax"], b["ymax"]) - max(a["ymin"], b["ymin"]))
        area_a = (a["xmax"] - a["xmin"]) * (a["ymax"] - a["ymin"])
        area_b = (b["xmax"] - b["xmin"]) * (b["ymax"] - b["ymin"])
    except (KeyError, TypeError):
        return 0.0
    union = area_a + area_b - ix * iy
    return ix * iy / union if union > 0 else 0.0


@dataclass(frozen=True)
class Detection:
    """One plate found by a detector, in the original image's pixel coordinates."""

    box: BoundingBox
    confidence: float
    # Four corners (top-left, top-right, bottom-right, bottom-left); from the segmentation mask if any.
    polygon: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Candidate:
    plate: str
    score: float


@dataclass(frozen=True)
class Reading:
    """What a reader makes of one plate crop: the best text and its alternatives, best first."""

    text: str
    confidence: float
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)


class Detector(abc.ABC):
    """Finds plates in an RGB image (H x W x 3, uint8), keeping those at or above the confidence threshold
    (the detector's own default when None)."""

    name: str = "detector"

    @abc.abstractmethod
    def detect(self, image: np.ndarray, *, confidence: float | None = None) -> list[Detection]: ...


class Reader(abc.ABC):
    """Reads the text of plate crops (RGB, uint8). Batched: one call for all crops of an image."""

    name: str = "reader"

    @abc.abstractmethod
    def read(self, crops: list[np.ndarray]) -> list[Reading]: ...
