"""Engine results built by hand (plates.base.Recognition) for tests that store readings without the models."""

from __future__ import annotations

import datetime as dt

from plates.base import BoundingBox, Candidate, PlateRead, Recognition


def recognition(
    *plates: str, boxes: list[dict] | None = None, region: str = "gb", processing_ms: float = 12.5
) -> Recognition:
    """One read per plate text; box i defaults to 80 x 20 px at x = 10 + 100 i."""
    results = []
    for i, text in enumerate(plates):
        box = BoundingBox(
            **(
                boxes[i]
                if boxes and i < len(boxes)
                else {"xmin": 10 + 100 * i, "ymin": 10, "xmax": 90 + 100 * i, "ymax": 30}
            )
        )
        results.append(
            PlateRead(
                text=text,
                score=0.9,
                dscore=0.8,
                box=box,
                polygon=(
                    (box.xmin, box.ymin),
                    (box.xmax, box.ymin),
                    (box.xmax, box.ymax),
                    (box.xmin, box.ymax),
                ),
                region=region,
                region_score=0.7,
                color="white",
                candidates=(Candidate(text, 0.9),),
            )
        )
    return Recognition(
        results=tuple(results),
        processing_ms=processing_ms,
        filename="x.png",
        timestamp=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
