"""The demo photos the README's examples use are read as their file names say."""

from pathlib import Path

import pytest

CARS = Path(__file__).resolve().parents[2] / "fixtures" / "cars"

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", sorted(CARS.glob("*.jpg")), ids=lambda p: p.name)
def test_demo_photo_reads_as_named(pipeline, path):
    recognition = pipeline.recognize(path.read_bytes(), filename=path.name)
    assert [r.text for r in recognition.results] == [path.stem]


def test_there_are_demo_photos():
    assert len(list(CARS.glob("*.jpg"))) == 3
