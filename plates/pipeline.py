"""The engine: decode -> detect -> crop/deskew -> batched OCR -> format correction -> colour, composed once
per process and answering with a plates.base.Recognition."""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from . import __version__, hub
from .band import BAND_CODES, band_codes
from .base import (
    BoundingBox,
    Candidate,
    Detection,
    Detector,
    PlateRead,
    RawReading,
    Reader,
    Recognition,
    RecognizeOptions,
)
from .color import plate_color
from .ctc import BLANK, SEPARATOR, CtcReader, decode
from .detectors.looks import VIEWS, Look
from .errors import PlatesError
from .formats import US_STATE_FORMATS, Decision, FormatCorrector, Likelihood
from .geometry import plate_crop
from .images import DEFAULT_MAX_MEGAPIXELS, DecodedImage, decode_image
from .rows import split_rows
from .states import plate_states


@dataclass(frozen=True)
class ReaderChoice:
    model: str  # installed model folder (plates.hub.MODELS)
    tag: str  # names the reader in the engine version
    trim_y: float  # off top and bottom of each plate crop before reading


# Plate readers a deployment can choose (setting PLATES_READER). The document readers read state names
# and slogans above and below US plate numbers, so their crops are trimmed; platelens was trained on whole
# plates with those in view and reads untrimmed crops best (held-out US crops: 0.946 vs 0.898 greedy).
READERS: dict[str, ReaderChoice] = {
    "platelens": ReaderChoice("platelens_rec", "platelens-rec-2", trim_y=0.0),
    "ppocrv6": ReaderChoice("ppocrv6_rec", "ppocrv6-rec", trim_y=0.05),
    "ppocrv4": ReaderChoice("ppocrv4_rec", "ppocrv4-rec", trim_y=0.05),
}
DEFAULT_READER = "platelens"
MIN_PLATE_CHARS = 2  # Latin letters/digits a reading needs to count as a plate


def reader_from_env() -> str:
    name = os.environ.get("PLATES_READER", "").strip().lower() or DEFAULT_READER
    if name not in READERS:
        raise PlatesError(f"PLATES_READER={name!r} is not one of {', '.join(READERS)}")
    return name


DETECTOR_SIZE = 512
# Where nothing is found at DETECTOR_SIZE with confidence DETECTOR_SURE, the detector looks again in turn until
# something is (`detectors.looks.Look`; setting PLATES_DETECTOR_LOOKS, e.g. `512` for one look only):
# - larger, for plates too small for 512: openalpr-eu has one that 640 finds; real US plates pasted 93 px wide
#   into 1280-px car photos (`bench --scenes 0.12`) are found in 123 of 147 photos with 640 alone after 512,
#   138 with 800 after it, 145 with 1024 after that;
# - at the image in grey, its contrast equalised (CLAHE), at 512: plates in dim or hazy photos (US and BR held-out
#   crops pasted into car photos darkened to 25-45 %, blurred, tilted up to 8 degrees, seen up to 30 % from the
#   side, JPEG 70: BR found 0.967 -> 0.984, strict 0.873 -> 0.886; US 0.986 -> 0.993, 0.912 -> 0.918);
# - at that grey inverted ("inverted"), at 512 and 640: plates with light characters on a dark ground. Real
#   Brazilian crops pasted into car photos (`bench --scenes 0.25`): 6 of 511 never found, all dark IR plates,
#   now found and read (strict 0.918 -> 0.930); openalpr-eu's white-on-black `WSQ3021` found at 640.
# - zoomed out (the image at half size on the 640 canvas), for close-ups the detector finds only in pieces:
#   `bench --scenes 1.0` (the plate 72 % of the photo's width) US strict 0.034 -> 0.463, BR 0.020 -> 0.262;
# - small, at 160 ("close_up": only boxes a quarter of the image's width or more), for close-ups that neither
#   finds: the plate is then the size of one on a car seen from a few metres. `--scenes 1.0`: US found
#   0.565 -> 0.993, strict 0.463 -> 0.932; BR 0.556 -> 0.933, 0.262 -> 0.634; `--scenes 0.8` US 0.163 -> 0.898,
#   0.6 0.599 -> 0.810 (128 finds fewer, 256 after it adds nothing). It also
#   looks where an earlier look was sure of a box that wide, and the pieces of one plate are joined
#   (`detectors.onnx_yolo._joined`): near a car's back (`--scenes 0.2 --close-up 0.7`) US 0.450 -> 0.912.
# These cost only photos where nothing sure is found (a 1280x720 photo without a plate: 80 ms with one look,
# 256 ms with the three larger, 397 ms with all, quiet machine).
DETECTOR_LOOKS = (
    Look(640),
    Look(640, "zoomed_out"),
    Look(160, "close_up"),
    Look(800),
    Look(1024),
    Look(512, "equalised"),
    Look(512, "inverted"),
    Look(640, "inverted"),
)
# A weak first hit (openalpr-eu: a sign at 0.13 where the plate is found at 0.36 by the 1024 look) must not
# stop the search; ultralytics' default confidence threshold. On openalpr-eu only the images whose plate was
# missed or clipped have no detection this sure at 512.
DETECTOR_SURE = 0.25


def detector_looks_from_env() -> tuple[int, tuple[Look, ...]]:
    """The detector's first look and the looks after it, from PLATES_DETECTOR_LOOKS: comma-separated, the first
    a size, each other a size (the image itself) or VIEW:SIZE (a key of `detectors.looks.VIEWS`)."""
    value = os.environ.get("PLATES_DETECTOR_LOOKS", "").strip()
    if not value:
        return DETECTOR_SIZE, DETECTOR_LOOKS
    try:
        first, *looks = [Look.parse(item) for item in value.split(",")]
        if first.view != "image":
            raise ValueError("the first look is at the image itself")
    except ValueError:
        raise PlatesError(
            f"PLATES_DETECTOR_LOOKS={value!r}: give comma-separated looks, the first a size, each other a size or "
            f"VIEW:SIZE ({', '.join(v for v in VIEWS if v != 'image')}), sizes multiples of 32 from 64 to 2048; "
            f"e.g. {','.join(map(str, [DETECTOR_SIZE, *DETECTOR_LOOKS]))}"
        ) from None
    return first.size, tuple(looks)


# The default looks take 42 characters; longer lists are named by a hash (the version fits 100 characters).
MAX_LOOKS_TAG = 48


def engine_version(
    reader: str, detector_size: int = DETECTOR_SIZE, looks: tuple[Look, ...] = DETECTOR_LOOKS
) -> str:
    sizes = "-".join([str(detector_size)] + [look.tag for look in looks])
    if len(sizes) > MAX_LOOKS_TAG:  # stored with each reading in 100 characters
        sizes = "looks-" + hashlib.sha1(sizes.encode()).hexdigest()[:12]
    return f"platedet-0.0.2-int8-{sizes}+{READERS[reader].tag}+plates-{__version__}"


# Stored with every reading: which models and engine code produced it. Known without loading the models.
ENGINE_VERSION = engine_version(reader_from_env(), *detector_looks_from_env())


@dataclass(frozen=True)
class PipelineConfig:
    models_dir: Path | None = None  # default: $PLATES_MODELS_DIR or ./models
    reader: str = DEFAULT_READER  # a key of READERS; from_env reads $PLATES_READER
    detector_threads: int = 2
    detector_size: int = DETECTOR_SIZE  # long side of the detector's input (the rebuilt model takes any)
    detector_looks: tuple[Look, ...] = DETECTOR_LOOKS  # where the first look finds nothing sure
    reader_threads: int = 2  # onnxruntime readers; the Paddle reader always runs 1 thread
    detection_threshold: float = 0.1  # measured: 0.1 finds 2 of the 4 plates 0.25 misses on openalpr-eu
    ocr_threshold: float = 0.0
    max_plates: int = 10
    trim_y: float | None = None  # off top and bottom of each plate; None: the reader's own (READERS)
    pad_x: float = 0.02
    beam_width: int = 8
    max_candidates: int = 5
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS
    # Large JPEGs decode at 1/2, 1/4 or 1/8 scale down to this long side: the detector sees <= 1024 px anyway
    # and a plate keeps enough pixels to read (a 12 MP photo: 2016 px wide, decoded ~8x faster).
    decode_min_side: int = 1600

    @classmethod
    def from_env(cls) -> PipelineConfig:
        models = os.environ.get("PLATES_MODELS_DIR")
        first, looks = detector_looks_from_env()
        return cls(
            models_dir=Path(models) if models else None,
            reader=reader_from_env(),
            detector_size=first,
            detector_looks=looks,
        )


def _geometric_mean(log_likelihood: float, length: int) -> float:
    return float(min(1.0, math.exp(log_likelihood / max(length, 1))))


class Pipeline:
    """Holds the loaded models; `recognize` is safe to call from several threads (one at a time)."""

    def __init__(
        self,
        config: PipelineConfig | None = None,
        *,
        detector: Detector | None = None,
        reader: Reader | None = None,
    ):
        self.config = config or PipelineConfig.from_env()
        root = self.config.models_dir or hub.models_dir()
        if detector is None:
            from .detectors.onnx_yolo import OnnxYoloSegDetector

            built = hub.BUILT["platedet_int8"]
            detector = OnnxYoloSegDetector(
                hub.model_path(built.name, root) / built.file,
                threads=self.config.detector_threads,
                input_size=self.config.detector_size,
                looks=self.config.detector_looks,
                sure=DETECTOR_SURE,
                confidence=self.config.detection_threshold,
                max_detections=self.config.max_plates,
            )
        self.detector = detector
        self.reader = reader or self._load_reader(root)
        self.band_reader = self._load_band_reader(root)
        self.corrector = FormatCorrector(self.reader.alphabet)
        self.version = engine_version(
            self.config.reader, self.config.detector_size, self.config.detector_looks
        )
        self.trim_y = READERS[self.config.reader].trim_y if self.config.trim_y is None else self.config.trim_y
        self._lock = threading.Lock()

    def _load_reader(self, root: Path) -> Reader:
        if self.config.reader not in READERS:
            raise PlatesError(f"unknown reader {self.config.reader!r}; choose one of {', '.join(READERS)}")
        folder = hub.model_path(READERS[self.config.reader].model, root)
        options = {"threads": self.config.reader_threads, "beam_width": self.config.beam_width}
        if self.config.reader == "ppocrv4":
            from .readers.paddle_rec import PaddleRecReader

            # More Paddle threads spin after each call and slow onnxruntime in the same process.
            return PaddleRecReader(folder, **(options | {"threads": 1}))
        from .readers.onnx_rec import OnnxRecReader

        if self.config.reader == "platelens":  # trained at a fixed 48 x 192 input, area-resampled
            return OnnxRecReader(
                folder / "platelens_rec.onnx",
                name="platelens-rec",
                min_width=192,
                max_width=192,
                interpolation=cv2.INTER_AREA,
                **options,
            )
        return OnnxRecReader(folder / "PP-OCRv6_rec_small.onnx", name="ppocrv6-rec", **options)

    def _load_band_reader(self, root: Path) -> CtcReader:
        """PP-OCRv6 small as PaddleOCR ships it reads the EU band's sign, whichever reader reads plates: a
        general text model reads one or two letters alone better than a reader trained on whole plates
        (openalpr-eu: 14 signs read, against 9 by platelens; rendered one-letter signs at 160 px: P 0.81
        and F 0.90 against 0.02 and 0.01)."""
        from .readers.onnx_rec import OnnxRecReader

        return OnnxRecReader(
            hub.model_path("ppocrv6_rec", root) / "PP-OCRv6_rec_small.onnx",
            name="band",
            threads=self.config.reader_threads,
            # It runs for a few plates only; its threads spinning after each run took the cores from the
            # plate reader (measured: a state read cost +3.3 ms on the mean US plate, +1.6 ms sleeping).
            spinning=False,
            min_width=192,
            max_width=192,
            interpolation=cv2.INTER_AREA,
        )

    def recognize(
        self,
        data: bytes | DecodedImage,
        *,
        filename: str = "",
        regions: tuple[str, ...] | list[str] = (),
        max_megapixels: float | None = None,
        options: RecognizeOptions | None = None,
        timings: dict[str, float] | None = None,
    ) -> Recognition:
        """Read every plate of an image. Raises plates.errors.ImageError on bad input. `timings`, if given,
        receives milliseconds per stage: decode, detect, read (crop + recognizer), correct (formats, colour)."""
        options = options or RecognizeOptions()
        started = time.perf_counter()
        stages = {} if timings is None else timings
        image = (
            data
            if isinstance(data, DecodedImage)
            else decode_image(
                data,
                max_megapixels=max_megapixels or self.config.max_megapixels,
                min_side=self.config.decode_min_side,
            )
        )
        stages["decode"] = (time.perf_counter() - started) * 1000
        regions = tuple(_region_hint(r) for r in regions if r and r.strip())
        with self._lock:
            results = self._read(image.rgb, regions, options, stages)
        if image.scale != 1:
            results = [_rescaled(r, image) for r in results]
        min_score = self.config.ocr_threshold if options.ocr_threshold is None else options.ocr_threshold
        return Recognition(
            results=tuple(r for r in results if r.score >= min_score),
            processing_ms=round((time.perf_counter() - started) * 1000, 3),
            filename=filename,
            timestamp=datetime.now(UTC),
        )

    def _read(
        self, rgb: np.ndarray, regions: tuple[str, ...], options: RecognizeOptions, stages: dict[str, float]
    ) -> list[PlateRead]:
        threshold = (
            self.config.detection_threshold
            if options.detection_threshold is None
            else options.detection_threshold
        )
        started = time.perf_counter()
        detections = self.detector.detect(rgb, confidence=threshold)
        whole = _plate_shaped(rgb)
        if whole:
            detections = [_whole_image(rgb), *detections]
        detected = time.perf_counter()
        stages["detect"] = (detected - started) * 1000
        stages["read"] = stages["correct"] = 0.0
        if not detections:
            return []
        crops = [self._crop(rgb, d) for d in detections]
        raws = self.read_plates(crops)
        read = time.perf_counter()
        stages["read"] = (read - detected) * 1000
        decisions, likelihoods = self.decide_plates(crops, raws, regions, fast=options.fast)
        results = [
            self._result(detection, crop, raw, decision, likelihood)
            for detection, crop, raw, decision, likelihood in zip(
                detections, crops, raws, decisions, likelihoods, strict=True
            )
        ]
        if whole:  # the image read whole where that reads confidently, else what the detector found in it
            first, *found = results
            results = [first] if first is not None and first.score >= WHOLE_IMAGE_MIN_SCORE else found
        stages["correct"] = (time.perf_counter() - read) * 1000
        return [r for r in results if r is not None]

    def read_plates(self, crops: list[np.ndarray]) -> list[RawReading]:
        """Read plate crops in one batch. A crop that looks like two text rows is also read row by row;
        the rows' CTC matrices, joined top then bottom, make the two-row reading. It is kept when it is
        as confident as reading the crop as one row (a two-row plate read as one row mixes its rows or
        gives one of them, less confidently). A reading that only holds more characters is not enough: on
        real US plates the rows found were a state's name above the number (`ARKSS324AZY`)."""
        rows = [split_rows(c) for c in crops]
        raws = self.reader.read(list(crops) + [part for pair in rows if pair for part in pair])
        out, extra = [], len(crops)
        for one_row, pair in zip(raws[: len(crops)], rows, strict=True):
            if pair is None:
                out.append(one_row)
                continue
            top, bottom = raws[extra], raws[extra + 1]
            extra += 2
            gap = np.zeros((1, top.emissions.shape[1]), dtype=top.emissions.dtype)
            gap[0, BLANK] = 1.0  # keeps a character ending the top row apart from the same one below
            joined = decode(
                np.concatenate([top.emissions, gap, bottom.emissions]),
                self.reader.alphabet,
                self.config.beam_width,
            )
            two_rows = (
                top.text.strip(SEPARATOR)
                and bottom.text.strip(SEPARATOR)
                and joined.confidence >= one_row.confidence
            )
            out.append(joined if two_rows else one_row)
        return out

    def band_countries(self, crops: list[np.ndarray]) -> list[str | None]:
        """The region each crop's EU band names, where a band is found and its code read confidently."""
        return [
            BAND_CODES[found[0]] if found and found[0] else None
            for found in band_codes(self.band_reader, crops)
        ]

    def decide_plates(
        self,
        crops: list[np.ndarray],
        raws: list[RawReading],
        regions: tuple[str, ...] = (),
        *,
        fast: bool = False,
    ) -> tuple[list[Decision], list[Likelihood]]:
        """The plate each reading is decided to be, with each crop's likelihood scorer. Region evidence read
        off the plate: its EU band's country, else, where that could change the decision, the US state its
        name shows (one more recognizer batch, for those crops only)."""
        countries = self.band_countries(crops)
        scores = [self.corrector.scorer(raw.emissions) for raw in raws]  # one per crop, for every use
        alternatives = [[] if fast else [text for text, _ in raw.beams] for raw in raws]

        def decide(i: int, country: str | None) -> Decision:
            raw = raws[i]
            return self.corrector.decide(
                raw.emissions, raw.text, alternatives[i], regions, country, score=scores[i]
            )

        decisions = [decide(i, country) for i, country in enumerate(countries)]
        # A caller that says its plates are American (`regions=us`, `us-ca`) gets each US-shaped plate's state as
        # its region (Plate Recognizer answers `us-ca`), about 25 ms a plate; otherwise the state is read only
        # where it could change the reading.
        us_hinted = any(r == "us" or r.startswith("us-") for r in regions)
        wanted = [
            country is None
            and (us_hinted or self.corrector.state_could_decide(raw.emissions, alts, decision, score))
            for country, raw, alts, decision, score in zip(
                countries, raws, alternatives, decisions, scores, strict=True
            )
        ]
        states = plate_states(self.band_reader, crops, wanted) if any(wanted) else [None] * len(crops)
        decisions = [
            decide(i, state) if state else d
            for i, (d, state) in enumerate(zip(decisions, states, strict=True))
        ]
        return decisions, scores

    def read_crops(self, crops: list[np.ndarray], regions: tuple[str, ...] = ()) -> list[Decision]:
        """The plate each crop (already cut to the plate) reads as, after format correction."""
        return self.decide_plates(crops, self.read_plates(crops), regions)[0]

    def _crop(self, rgb: np.ndarray, detection: Detection) -> np.ndarray:
        box = detection.box
        return plate_crop(
            rgb,
            np.asarray(detection.polygon, dtype=np.float32),
            (box.xmin, box.ymin, box.xmax, box.ymax),
            trim_y=self.trim_y,
            pad_x=self.config.pad_x,
        )

    def _result(
        self,
        detection: Detection,
        crop: np.ndarray,
        raw: RawReading,
        decision: Decision,
        likelihood: Likelihood,
    ) -> PlateRead | None:
        if sum(ch.isascii() and ch.isalnum() for ch in decision.plate) < MIN_PLATE_CHARS:
            return None  # a lone character or a stray province glyph is not a plate
        score = (
            raw.confidence
            if not decision.corrected
            else _geometric_mean(decision.log_likelihood, len(decision.plate))
        )
        candidates = {decision.plate: score}
        for text, _ in raw.beams:
            plate = text.replace(SEPARATOR, "")
            if plate and plate not in candidates:
                candidates[plate] = _geometric_mean(likelihood(plate), len(plate))
            if len(candidates) >= self.config.max_candidates:
                break
        # Best first: the decided plate, then the alternatives by score (never above the plate's own).
        ranked = [(decision.plate, score)] + sorted(
            ((p, min(s, score)) for p, s in candidates.items() if p != decision.plate),
            key=lambda item: item[1],
            reverse=True,
        )
        return PlateRead(
            text=decision.plate.lower(),
            score=round(float(score), 3),
            dscore=round(float(detection.confidence), 3),
            box=detection.box,
            polygon=tuple((int(round(x)), int(round(y))) for x, y in detection.polygon),
            region=decision.region,
            region_score=decision.region_score,
            color=plate_color(crop),
            candidates=tuple(Candidate(p.lower(), round(float(s), 3)) for p, s in ranked),
        )


# An image shaped like a plate (a crop someone cut, or a camera's own detector sent: US plates are 2:1,
# Brazilian 3:1, EU 4.7:1; photos are 1.33-1.78:1) is also read whole, and that reading replaces what the
# detector found in it where it is confident: the detector, trained on plates on cars, finds tight crops in
# pieces (stickers, stamps) or not at all (held-out US crops uploaded as they are: 32 of 120 with something
# found, 0 read right; BR: 15, 0). A wide thumbnail of a car reads poorly whole, and what was found in it stays.
PLATE_SHAPED = (1.85, 6.0)  # width : height
PLATE_SHAPED_MAX_HEIGHT = 320
WHOLE_IMAGE_MIN_SCORE = 0.5


def _plate_shaped(rgb: np.ndarray) -> bool:
    height, width = rgb.shape[:2]
    return height <= PLATE_SHAPED_MAX_HEIGHT and PLATE_SHAPED[0] <= width / height <= PLATE_SHAPED[1]


def _whole_image(rgb: np.ndarray) -> Detection:
    """The whole image as the plate, with no detection confidence (dscore 0)."""
    height, width = rgb.shape[:2]
    corners = ((0.0, 0.0), (width - 1.0, 0.0), (width - 1.0, height - 1.0), (0.0, height - 1.0))
    return Detection(box=BoundingBox(0, 0, width - 1, height - 1), confidence=0.0, polygon=corners)


def _region_hint(region: str) -> str:
    """A region hint as the corrector knows it: a US state (`us-ca`) as given, else its country (`gb`)."""
    region = region.strip().lower()
    return region if region in US_STATE_FORMATS else region.split("-")[0]


def _rescaled(read: PlateRead, image: DecodedImage) -> PlateRead:
    """A plate read on a reduced decode, in the image's own pixel coordinates."""

    def point(x: float, y: float) -> tuple[int, int]:
        return min(round(x / image.scale), image.width - 1), min(round(y / image.scale), image.height - 1)

    box = read.box
    (xmin, ymin), (xmax, ymax) = point(box.xmin, box.ymin), point(box.xmax, box.ymax)
    return replace(
        read,
        box=BoundingBox(xmin, ymin, xmax, ymax),
        polygon=tuple(point(x, y) for x, y in read.polygon),
    )


_pipeline: Pipeline | None = None
_pipeline_lock = threading.Lock()


def get_pipeline(config: PipelineConfig | None = None) -> Pipeline:
    """The process-wide pipeline; models load on first use and are reused afterwards."""
    global _pipeline
    with _pipeline_lock:
        if _pipeline is None:
            _pipeline = Pipeline(config)
        elif config is not None and config != _pipeline.config:
            _pipeline = Pipeline(config)
        return _pipeline


__all__ = ["ENGINE_VERSION", "READERS", "Pipeline", "PipelineConfig", "get_pipeline"]
