"""The real models on generated photos: found, read, answered as a plates.base.Recognition."""

import datetime as dt
import math
import re

import pytest

from plates.base import BoundingBox, Candidate, RecognizeOptions
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
    recognition = pipeline.recognize(scene.data, filename="car.jpg")
    assert [r.text for r in recognition.results] == [text.lower()]
    box = recognition.results[0].box
    xs = [x for x, _ in scene.polygon]
    ys = [y for _, y in scene.polygon]
    assert abs(box.xmin - min(xs)) < 25 and abs(box.xmax - max(xs)) < 25
    assert abs(box.ymin - min(ys)) < 25 and abs(box.ymax - max(ys)) < 25


@pytest.mark.parametrize("color", ["white", "yellow", "blue", "green", "black"])
def test_plate_colour(pipeline, color):
    recognition = pipeline.recognize(plate_photo("AB12CDE", plate_color=color, seed=1))
    assert recognition.results[0].color == color


def test_result_types(pipeline):
    recognition = pipeline.recognize(plate_photo("AB12CDE"), filename="x.jpg", regions=("gb",))
    assert recognition.filename == "x.jpg"
    assert isinstance(recognition.processing_ms, float) and recognition.processing_ms > 0
    assert recognition.timestamp.utcoffset() == dt.timedelta(0)
    (plate,) = recognition.results
    assert plate.text == "ab12cde"
    assert 0 < plate.score <= 1 and 0 < plate.dscore <= 1
    assert isinstance(plate.box, BoundingBox) and all(
        isinstance(v, int) for v in plate.box.as_dict().values()
    )
    assert len(plate.polygon) == 4 and all(
        len(p) == 2 and all(isinstance(v, int) for v in p) for p in plate.polygon
    )
    assert plate.region == "gb" and plate.region_score > 0.5
    assert plate.candidates[0] == Candidate("ab12cde", plate.score)
    assert all(0 <= c.score <= 1 and not math.isnan(c.score) for c in plate.candidates)
    scores = [c.score for c in plate.candidates]
    assert scores == sorted(scores, reverse=True), "candidates are best first"


def test_cli_json_is_shaped_like_plate_recognizers(pipeline):
    from plates.cli import recognition_json

    result = recognition_json(pipeline.recognize(plate_photo("AB12CDE"), filename="x.jpg", regions=("gb",)))
    assert set(result) == {"filename", "processing_time", "timestamp", "results"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", result["timestamp"])
    (plate,) = result["results"]
    assert set(plate) == {"plate", "score", "dscore", "box", "polygon", "region", "color", "candidates"}
    assert set(plate["box"]) == {"xmin", "ymin", "xmax", "ymax"}
    assert plate["region"] == {"code": "gb", "score": plate["region"]["score"]}
    assert plate["candidates"][0] == {"plate": "ab12cde", "score": plate["score"]}


def test_no_plate_gives_empty_results(pipeline):
    assert pipeline.recognize(blank_photo()).results == ()


def test_thresholds_filter_results(pipeline):
    data = plate_photo("AB12CDE")
    assert pipeline.recognize(data, options=RecognizeOptions(detection_threshold=0.999)).results == ()
    assert pipeline.recognize(data, options=RecognizeOptions(ocr_threshold=1.01)).results == ()
    assert len(pipeline.recognize(data, options=RecognizeOptions(fast=True)).results) == 1


@pytest.mark.parametrize("kind", ["empty", "text", "truncated", "bomb"])
def test_bad_input_raises_image_error(pipeline, kind):
    with pytest.raises(ImageError):
        pipeline.recognize(corrupt_bytes(kind))


def test_models_load_once(pipeline):
    from plates.pipeline import engine_version, get_pipeline

    assert get_pipeline() is pipeline
    assert pipeline.version == engine_version(pipeline.config.reader)


def test_a_large_photo_answers_in_its_own_pixel_coordinates(pipeline):
    scene = plate_scene("AB12CDE", size=(4000, 2250), seed=2)
    (plate,) = pipeline.recognize(scene.data).results
    assert plate.text == "ab12cde"
    xmin, ymin, xmax, ymax = scene.box
    assert abs(plate.box.xmin - xmin) < 40 and abs(plate.box.xmax - xmax) < 40
    assert abs(plate.box.ymin - ymin) < 40 and abs(plate.box.ymax - ymax) < 40
    assert all(0 <= x < 4000 and 0 <= y < 2250 for x, y in plate.polygon)


def test_an_image_shaped_like_a_plate_is_read_whole(pipeline):
    """A plate crop uploaded as it is (a camera's own detector cut it): the detector finds crops in pieces or
    not at all, so the image is read whole, with no detection confidence."""
    import io

    from PIL import Image

    from plates.synth import one_row_plate, us_plate

    for plate, text in (
        (one_row_plate("AB12CDE", width=300), "ab12cde"),
        (us_plate("7KLM302", "Ohio", 240), "7klm302"),
    ):
        buffer = io.BytesIO()
        Image.fromarray(plate).save(buffer, format="JPEG", quality=90)
        (result,) = pipeline.recognize(buffer.getvalue()).results
        height, width = plate.shape[:2]
        assert (result.text, result.dscore) == (text, 0.0)
        assert result.box == BoundingBox(0, 0, width - 1, height - 1)


@pytest.mark.parametrize("text", ["ABC1D23", "RIO2A18", "QXZ9H07"])
def test_a_mercosul_plate_is_read_without_its_band(pipeline, text):
    """Brazil's plates since 2018: `BRASIL` in the blue band above the number is no part of it."""
    from plates.synth import mercosul_plate, real_plate_photo

    photo = real_plate_photo(mercosul_plate(text), share=0.25, seed=len(text))
    (result,) = pipeline.recognize(photo).results
    assert result.text == text.lower()


def test_a_plate_shaped_image_that_is_no_plate_reads_as_nothing(pipeline):
    assert pipeline.recognize(blank_photo(size=(400, 150))).results == ()
