"""Benchmarks. End to end on an OpenALPR-format folder (NAME.jpg + NAME.txt with `NAME.jpg x y w h PLATE`):
detection recall (IoU >= 0.5), exact-match accuracy (strict; O/0 and I/1 folded, the usual published
figure; every look-alike class folded), latency (per image and per stage), throughput and peak memory.
Crop level on a plate-crops folder (labels.csv): the reader and format correction alone on the held-out
split the reader was not trained on, per region, with ms per plate. Both count the look-alike errors."""

from __future__ import annotations

import csv
import resource
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from .base import BoundingBox, PlateRead
from .pipeline import Pipeline, get_pipeline
from .text import fold, normalize

FOLD_O0_I1 = str.maketrans({"O": "0", "I": "1"})


@dataclass(frozen=True)
class Sample:
    image: Path
    box: BoundingBox
    plate: str


@dataclass
class BenchReport:
    images: int
    recall: float
    strict: float
    folded_o0_i1: float
    folded: float  # every look-alike class (plates.text.fold)
    median_ms: float
    p90_ms: float
    peak_mb: float
    stage_ms: dict[str, float]  # median ms per stage: decode, detect, read, correct
    images_per_s: float  # one image after another, file read included
    misses: list[tuple[str, str, str]]  # (image, expected, best reading)

    def table(self) -> str:
        rows = [
            ("images", f"{self.images}"),
            ("detection recall (IoU >= 0.5)", f"{self.recall:.3f}"),
            ("exact match, strict", f"{self.strict:.3f}"),
            ("exact match, O/0 I/1 folded", f"{self.folded_o0_i1:.3f}"),
            ("exact match, every look-alike folded", f"{self.folded:.3f}"),
            ("median ms / image", f"{self.median_ms:.0f}"),
            ("p90 ms / image", f"{self.p90_ms:.0f}"),
            *((f"  {stage} ms (median)", f"{ms:.1f}") for stage, ms in self.stage_ms.items()),
            ("images / s", f"{self.images_per_s:.1f}"),
            ("peak memory (RSS) MB", f"{self.peak_mb:.0f}"),
        ]
        return _table(rows) + "\n\n" + error_classes(self.misses)


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'metric'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {name.ljust(width)} | {value} |" for name, value in rows]
    return "\n".join(lines)


def error_classes(misses: list[tuple[str, str, str]]) -> str:
    """Character confusions (expected -> read) of the misses read at the right length; other misses are
    counted by kind (nothing read, too short, too long)."""
    pairs: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for _, expected, got in misses:
        if not got:
            kinds["nothing read"] += 1
        elif len(got) == len(expected):
            pairs.update(f"{e}->{g}" for e, g in zip(expected, got, strict=True) if e != g)
        else:
            kinds["too short" if len(got) < len(expected) else "too long"] += 1
    shown = ", ".join(f"{pair} {n}" for pair, n in pairs.most_common(12)) or "none"
    other = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())) or "none"
    return f"substitutions (expected->read): {shown}\nlength errors: {other}"


@dataclass
class CropReport:
    # region -> (plates, strict hits, O/0 I/1-folded hits, every-look-alike-folded hits)
    per_region: dict[str, tuple[int, int, int, int]]
    ms_per_plate: float
    model_ms_per_plate: float  # the recognizer network alone
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    wrong_labels: int = 0  # held-out crops whose label is known wrong (plates/training/splits/*_label_errors)
    strict_right_labels: float = 0.0  # strict accuracy on the other crops

    def table(self) -> str:
        rows = []
        for region, (n, strict, folded_o0_i1, folded) in sorted(self.per_region.items()):
            rows += [
                (f"{region}: plates", f"{n}"),
                (f"{region}: exact, strict", f"{strict / n:.3f}"),
                (f"{region}: exact, O/0 I/1 folded", f"{folded_o0_i1 / n:.3f}"),
                (f"{region}: exact, every look-alike folded", f"{folded / n:.3f}"),
            ]
        rows += _right_labels_rows(self.wrong_labels, self.strict_right_labels)
        rows.append(("median ms / plate, recognizer network", f"{self.model_ms_per_plate:.1f}"))
        rows.append(("median ms / plate, + rows, beams, correction", f"{self.ms_per_plate:.1f}"))
        return _table(rows) + "\n\n" + error_classes(self.misses)


def _right_labels_rows(wrong_labels: int, strict_right_labels: float) -> list[tuple[str, str]]:
    if not wrong_labels:
        return []
    name = f"exact, strict, {wrong_labels} known-wrong label{'s' * (wrong_labels > 1)} left out"
    return [(name, f"{strict_right_labels:.3f}")]


def _strict_right_labels(rows: list[dict[str, str]], hits: set[str], wrong: set[str]) -> tuple[int, float]:
    """How many of the rows' labels are known wrong, and strict accuracy (`hits`: the rows' files read as
    labelled) on the other rows."""
    files = {r["file"] for r in rows}
    wrong_here = files & wrong
    return len(wrong_here), len(hits - wrong_here) / max(1, len(files) - len(wrong_here))


def matches(reading: str, expected: str) -> tuple[bool, bool, bool]:
    """Whether a reading is its label: strictly, with O/0 and I/1 folded, with every look-alike folded."""
    return (
        reading == expected,
        reading.translate(FOLD_O0_I1) == expected.translate(FOLD_O0_I1),
        fold(reading) == fold(expected),
    )


def load_samples(folder: Path) -> list[Sample]:
    samples = []
    for label in sorted(folder.glob("*.txt")):
        fields = label.read_text(encoding="utf-8").split()
        if len(fields) < 6:
            continue
        name, x, y, w, h = fields[0], *map(int, fields[1:5])
        image = folder / name
        if image.is_file():
            samples.append(Sample(image, BoundingBox(x, y, x + w, y + h), normalize(fields[5])))
    return samples


def best_reading(results: tuple[PlateRead, ...]) -> str:
    """The image's best-scored reading: highest detection x OCR confidence."""
    if not results:
        return ""
    return normalize(max(results, key=lambda r: r.dscore * r.score).text)


def run(
    folder: Path, *, pipeline: Pipeline | None = None, limit: int | None = None, progress: bool = True
) -> BenchReport:
    samples = load_samples(folder)[:limit]
    if not samples:
        raise FileNotFoundError(f"No NAME.jpg + NAME.txt pairs in {folder}")
    pipe = pipeline or get_pipeline()
    pipe.recognize(samples[0].image.read_bytes())  # warm-up: first call allocates
    detected = strict = folded_o0_i1 = folded = 0
    times, misses = [], []
    stages: dict[str, list[float]] = {}
    loop_started = time.perf_counter()
    for sample in tqdm(samples, desc="bench", unit="img", disable=not progress):
        data = sample.image.read_bytes()
        started = time.perf_counter()
        timings: dict[str, float] = {}
        recognition = pipe.recognize(data, filename=sample.image.name, timings=timings)
        times.append((time.perf_counter() - started) * 1000)
        for stage, ms in timings.items():
            stages.setdefault(stage, []).append(ms)
        detected += any(sample.box.iou(r.box) >= 0.5 for r in recognition.results)
        reading = best_reading(recognition.results)
        exact, exact_o0_i1, exact_folded = matches(reading, sample.plate)
        strict += exact
        folded_o0_i1 += exact_o0_i1
        folded += exact_folded
        if reading != sample.plate:
            misses.append((sample.image.name, sample.plate, reading))
    elapsed = time.perf_counter() - loop_started
    n = len(samples)
    times.sort()
    return BenchReport(
        images=n,
        recall=detected / n,
        strict=strict / n,
        folded_o0_i1=folded_o0_i1 / n,
        folded=folded / n,
        median_ms=statistics.median(times),
        p90_ms=times[min(n - 1, int(round(0.9 * (n - 1))))],
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        stage_ms={stage: statistics.median(values) for stage, values in stages.items()},
        images_per_s=n / elapsed,
        misses=misses,
    )


def held_out_rows(folder: Path, limit: int | None = None) -> tuple[str, list[dict[str, str]]]:
    """The split a plate-crops folder is (`us`, `br`) and its labels.csv rows the reader was not trained on."""
    from .training.data import validation_files

    split = folder.name.removeprefix("plate-crops-")
    held_out = validation_files(split)
    with open(folder / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["file"] in held_out][:limit]
    if not rows:
        raise FileNotFoundError(f"No held-out crops of {folder} listed in the {split} split")
    return split, rows


def run_crops(
    folder: Path,
    *,
    pipeline: Pipeline | None = None,
    limit: int | None = None,
    progress: bool = True,
    trim_y: float | None = None,
) -> CropReport:
    """Crop-level accuracy on the held-out split of a plate-crops folder (labels.csv with file and plate
    columns; region from `state` for US crops, else the folder's suffix). Each crop is trimmed like the
    pipeline trims a detected plate for its reader (unless `trim_y` says otherwise), then read one at a
    time."""
    from .training.data import label_errors

    split, rows = held_out_rows(folder, limit)
    pipe = pipeline or get_pipeline()
    trim_y = pipe.trim_y if trim_y is None else trim_y
    counts: dict[str, list[int]] = {}
    hits: set[str] = set()
    times, model_times, misses = [], [], []
    for row in tqdm(rows, desc="crops", unit="plate", disable=not progress):
        image = cv2.imread(str(folder / row["file"]), cv2.IMREAD_COLOR)
        trim = int(round(image.shape[0] * trim_y))
        crop = np.ascontiguousarray(image[trim : image.shape[0] - trim, :, ::-1])
        started = time.perf_counter()
        pipe.reader.probabilities([crop])
        model_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        plate = normalize(pipe.read_crops([crop])[0].plate)
        times.append((time.perf_counter() - started) * 1000)
        expected = normalize(row["plate"])
        entry = counts.setdefault(split, [0, 0, 0, 0])
        entry[0] += 1
        for i, hit in enumerate(matches(plate, expected), 1):
            entry[i] += hit
        if plate == expected:
            hits.add(row["file"])
        else:
            misses.append((row["file"], expected, plate))
    wrong_labels, strict_right_labels = _strict_right_labels(rows, hits, set(label_errors(split)))
    return CropReport(
        per_region={k: (v[0], v[1], v[2], v[3]) for k, v in counts.items()},
        ms_per_plate=statistics.median(times),
        model_ms_per_plate=statistics.median(model_times),
        misses=misses,
        wrong_labels=wrong_labels,
        strict_right_labels=strict_right_labels,
    )


@dataclass
class SceneReport:
    """Held-out plate crops pasted into synthetic car photos, read end to end."""

    region: str
    plates: int
    found: int  # photos where any plate was read
    strict: int
    folded_o0_i1: int
    folded: int
    median_ms: float  # per photo, end to end
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    wrong_labels: int = 0  # as CropReport's
    strict_right_labels: float = 0.0

    def table(self) -> str:
        n = self.plates
        rows = [
            (f"{self.region}: photos (one real plate crop each)", f"{n}"),
            (f"{self.region}: a plate read", f"{self.found / n:.3f}"),
            (f"{self.region}: exact, strict", f"{self.strict / n:.3f}"),
            (f"{self.region}: exact, O/0 I/1 folded", f"{self.folded_o0_i1 / n:.3f}"),
            (f"{self.region}: exact, every look-alike folded", f"{self.folded / n:.3f}"),
            *_right_labels_rows(self.wrong_labels, self.strict_right_labels),
            ("median ms / photo", f"{self.median_ms:.0f}"),
        ]
        return _table(rows) + "\n\n" + error_classes(self.misses)


def run_scenes(
    folder: Path,
    *,
    share: float = 0.2,
    hard: bool = False,
    close_up: float | None = None,
    pipeline: Pipeline | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> SceneReport:
    """End to end on the held-out split of a plate-crops folder: each crop pasted on the back of a synthetic
    car (`plates.synth.real_plate_photo`, `share` of the car's width wide, seeded by its position), then
    detected, cut and read like any photo (`hard`: at dusk, out of focus, more turned and from the side;
    `close_up`: the photo cut around the plate so that it fills that share of the frame's width).
    What the crop benchmark leaves out: the detector, the crop it
    cuts (the state's name above a US number included) and plates a few dozen pixels wide."""
    from .synth import real_plate_photo
    from .training.data import label_errors

    split, rows = held_out_rows(folder, limit)
    pipe = pipeline or get_pipeline()
    report = SceneReport(split, len(rows), 0, 0, 0, 0, 0.0)
    times, hits = [], set()
    for seed, row in enumerate(tqdm(rows, desc="scenes", unit="photo", disable=not progress)):
        plate = cv2.imread(str(folder / row["file"]), cv2.IMREAD_COLOR)[:, :, ::-1]
        data = real_plate_photo(
            np.ascontiguousarray(plate), share=share, seed=seed, hard=hard, close_up=close_up
        )
        started = time.perf_counter()
        results = pipe.recognize(data).results
        times.append((time.perf_counter() - started) * 1000)
        reading, expected = best_reading(results), normalize(row["plate"])
        report.found += bool(results)
        exact, exact_o0_i1, exact_folded = matches(reading, expected)
        report.strict += exact
        report.folded_o0_i1 += exact_o0_i1
        report.folded += exact_folded
        if exact:
            hits.add(row["file"])
        else:
            report.misses.append((row["file"], expected, reading))
    report.median_ms = statistics.median(times)
    report.wrong_labels, report.strict_right_labels = _strict_right_labels(
        rows, hits, set(label_errors(split))
    )
    return report
