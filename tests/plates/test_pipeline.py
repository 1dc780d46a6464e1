"""The real models on generated photos: found, read, shaped like Plate Recognizer's answer."""

import math
import re

import pytest

from plates.errors import ImageError
from tests.support.synth import blank_photo, corrupt_bytes, plate_photo, plate_scene

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("AB12CDE", {}),
        ("KA123BC", {"angle": 8}),
        ("XY98ZZA", {"perspective": 0.25}),
        ("GH45JKL", {"angle": -6, "perspective": 0.15, "seed": 3}),
    ],
)
def test_generated_plates_are_found_and_read(pipeline, text, options):
    scene = plate_scene(text, **options)
    result = pipeline.recognize(scene.data, filename="car.jpg")
    assert [r["plate"] for r in result["results"]] == [text.lower()]
    plate = result["results"][0]
    box = plate["box"]
    xs = [x for x, _ in scene.polygon]
    ys = [y for _, y in scene.polygon]
    assert abs(box["xmin"] - min(xs)) < 25 and abs(box["xmax"] - max(xs)) < 25
    assert abs(box["ymin"] - min(ys)) < 25 and abs(box["ymax"] - max(ys)) < 25


@pytest.mark.parametrize("color", ["white", "yellow", "blue", "green", "black"])
def test_plate_colour(pipeline, color):
    result = pipeline.recognize(plate_photo("AB12CDE", plate_color=color, seed=1))
    assert result["results"][0]["color"] == color


def test_result_shape_is_plate_recognizers(pipeline):
    result = pipeline.recognize(plate_photo("AB12CDE"), filename="x.jpg", regions=("gb",))
    assert set(result) == {"filename", "processing_time", "timestamp", "results"}
    assert result["filename"] == "x.jpg"
    assert isinstance(result["processing_time"], float) and result["processing_time"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", result["timestamp"])
    (plate,) = result["results"]
    assert set(plate) == {"plate", "score", "dscore", "box", "polygon", "region", "color", "candidates"}
    assert plate["plate"] == "ab12cde"
    assert 0 < plate["score"] <= 1 and 0 < plate["dscore"] <= 1
    assert set(plate["box"]) == {"xmin", "ymin", "xmax", "ymax"} and all(
        isinstance(v, int) for v in plate["box"].values()
    )
    assert len(plate["polygon"]) == 4 and all(
        len(p) == 2 and all(isinstance(v, int) for v in p) for p in plate["polygon"]
    )
    assert (
        plate["region"] == {"code": "gb", "score": plate["region"]["score"]}
        and plate["region"]["score"] > 0.5
    )
    assert plate["candidates"][0] == {"plate": "ab12cde", "score": plate["score"]}
    assert all(0 <= c["score"] <= 1 and not math.isnan(c["score"]) for c in plate["candidates"])
    scores = [c["score"] for c in plate["candidates"]]
    assert scores == sorted(scores, reverse=True), "candidates are best first"


def test_no_plate_gives_empty_results(pipeline):
    assert pipeline.recognize(blank_photo())["results"] == []


def test_thresholds_filter_results(pipeline):
    data = plate_photo("AB12CDE")
    assert pipeline.recognize(data, threshold_d=0.999)["results"] == []
    assert pipeline.recognize(data, threshold_o=1.01)["results"] == []
    assert len(pipeline.recognize(data, mode="fast")["results"]) == 1


@pytest.mark.parametrize("kind", ["empty", "text", "truncated", "bomb"])
def test_bad_input_raises_image_error(pipeline, kind):
    with pytest.raises(ImageError):
        pipeline.recognize(corrupt_bytes(kind))


def test_models_load_once(pipeline):
    from plates.pipeline import engine_version, get_pipeline

    assert get_pipeline() is pipeline
    assert pipeline.version == engine_version(pipeline.config.reader)
