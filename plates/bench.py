"""Benchmark on an OpenALPR-format folder (NAME.jpg + NAME.txt with `NAME.jpg x y w h PLATE`): detection
recall (IoU >= 0.5), exact-match accuracy (strict, and with look-alikes folded), latency and peak memory."""

from __future__ import annotations

import resource
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .base import BoundingBox, PlateRead
from .pipeline import Pipeline, get_pipeline
from .text import fold, normalize


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
    folded: float
    median_ms: float
    p90_ms: float
    peak_mb: float
    misses: list[tuple[str, str, str]]  # (image, expected, best reading)

    def table(self) -> str:
        rows = [
            ("images", f"{self.images}"),
            ("detection recall (IoU >= 0.5)", f"{self.recall:.3f}"),
            ("exact match, strict", f"{self.strict:.3f}"),
            ("exact match, folded", f"{self.folded:.3f}"),
            ("median ms / image", f"{self.median_ms:.0f}"),
            ("p90 ms / image", f"{self.p90_ms:.0f}"),
            ("peak memory (RSS) MB", f"{self.peak_mb:.0f}"),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"| {'metric'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
        lines += [f"| {name.ljust(width)} | {value} |" for name, value in rows]
        return "\n".join(lines)


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
    detected = strict = folded = 0
    times, misses = [], []
    for sample in tqdm(samples, desc="bench", unit="img", disable=not progress):
        data = sample.image.read_bytes()
        started = time.perf_counter()
        recognition = pipe.recognize(data, filename=sample.image.name)
        times.append((time.perf_counter() - started) * 1000)
        detected += any(sample.box.iou(r.box) >= 0.5 for r in recognition.results)
        reading = best_reading(recognition.results)
        strict += reading == sample.plate
        folded += fold(reading) == fold(sample.plate)
        if reading != sample.plate:
            misses.append((sample.image.name, sample.plate, reading))
    n = len(samples)
    times.sort()
    return BenchReport(
        images=n,
        recall=detected / n,
        strict=strict / n,
        folded=folded / n,
        median_ms=statistics.median(times),
        p90_ms=times[min(n - 1, int(round(0.9 * (n - 1))))],
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        misses=misses,
    )
