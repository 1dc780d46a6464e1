"""Two-row plates: the gap between rows is found from the projection profile; one-row plates are left whole."""

import numpy as np
import pytest

from plates.rows import split_rows
from tests.support.synth import one_row_plate, two_row_plate


@pytest.mark.parametrize(("top", "bottom"), [("ABC", "1234"), ("AB12", "CDE"), ("KL", "3B8K")])
def test_two_rows_are_split_between_the_rows(top, bottom):
    crop = two_row_plate(top, bottom)
    rows = split_rows(crop)
    assert rows is not None
    upper, lower = rows
    assert upper.shape[0] + lower.shape[0] == crop.shape[0]
    assert 0.35 < upper.shape[0] / crop.shape[0] < 0.65


@pytest.mark.parametrize("text", ["AB12CDE", "KMBORAK", "7ABC123"])
def test_one_row_plates_are_not_split(text):
    assert split_rows(one_row_plate(text)) is None


def test_tiny_or_blank_crops_are_not_split():
    assert split_rows(np.zeros((8, 8, 3), dtype=np.uint8)) is None
    assert split_rows(np.full((120, 120, 3), 200, dtype=np.uint8)) is None
