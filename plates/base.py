"""Contracts of the engine: result types and the detector / reader interfaces every adapter implements."""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .ctc import Alphabet


@dataclass(frozen=True)
class BoundingBox:
    """Pixel box in the original image; xmax/ymax are exclusive."""

    xmin: int
    ymin: int
    xmax: int
    ymax: int

    @property
    def width(self) -> int:
        return max(0, self.xmax - self.xmin)

    @property
    def height(self) -> int:
        return max(0, self.ymax - self.ymin)

    @property
    def area(self) -> int:
        return self.width * self.height

    def as_dict(self) -> dict[str, int]:
        return {"xmin": self.xmin, "ymin": self.ymin, "xmax": self.xmax, "ymax": self.ymax}

    def iou(self, other: BoundingBox) -> float:
        """Intersection over union; 0.0 when either box is empty."""
        ix = max(0, min(self.xmax, other.xmax) - max(self.xmin, other.xmin))
        iy = max(0, min(self.ymax, other.ymax) - max(self.ymin, other.ymin))
        union = self.area + other.area - ix * iy
        return ix * iy / union if union > 0 else 0.0


@dataclass(frozen=True)
class Detection:
    """One plate found by a detector, in the original image's pixel coordinates."""

    box: BoundingBox
    confidence: float
    # Four corners (top-left, top-right, bottom-right, bottom-left); from the segmentation mask if any.
    polygon: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class RawReading:
    """What a reader makes of one plate crop, before format correction: the CTC emissions reduced to the
    reader's alphabet (T x S), the greedy text and its confidence, and beam alternatives (text, log score),
    best first. Texts may contain ctc.SEPARATOR."""

    emissions: np.ndarray
    text: str
    confidence: float
    beams: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Candidate:
    text: str
    score: float


@dataclass(frozen=True)
class PlateRead:
    """One plate of a recognition: lower-case text without separators, OCR score (`score`) and detection
    score (`dscore`), where it is, its likely region (ISO code, "" when unknown) and colour, and the
    alternatives best first (the first is `text` itself)."""

    text: str
    score: float
    dscore: float
    box: BoundingBox
    polygon: tuple[tuple[int, int], ...]
    region: str
    region_score: float
    color: str
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Recognition:
    """Every plate of one image, with how long the engine took and when it answered."""

    results: tuple[PlateRead, ...]
    processing_ms: float
    filename: str
    timestamp: dt.datetime  # UTC


@dataclass(frozen=True)
class RecognizeOptions:
    """Per-call settings of Pipeline.recognize; None means the pipeline's configured default."""

    detection_threshold: float | None = None
    ocr_threshold: float | None = None
    fast: bool = False  # greedy text only: no beam alternatives for format correction


class Detector(abc.ABC):
    """Finds plates in an RGB image (H x W x 3, uint8), keeping those at or above the confidence threshold
    (the detector's own default when None)."""

    name: str = "detector"

    @abc.abstractmethod
    def detect(self, image: np.ndarray, *, confidence: float | None = None) -> list[Detection]: ...


class Reader(abc.ABC):
    """Reads plate crops (RGB, uint8). Batched: one call for all crops of an image, one RawReading per crop,
    with emissions over `alphabet` (format correction scores strings against them)."""

    name: str = "reader"
    alphabet: Alphabet

    @abc.abstractmethod
    def read(self, crops: list[np.ndarray]) -> list[RawReading]: ...
