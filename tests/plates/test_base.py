"""The box overlap shared by the benchmark and the DAM's review-keeping logic."""

import pytest

from plates.base import box_iou

A = {"xmin": 0, "ymin": 0, "xmax": 10, "ymax": 10}


@pytest.mark.parametrize(
    ("b", "expected"),
    [
        (A, 1.0),
        ({"xmin": 5, "ymin": 0, "xmax": 15, "ymax": 10}, 50 / 150),
        ({"xmin": 20, "ymin": 20, "xmax": 30, "ymax": 30}, 0.0),
        ({}, 0.0),  # a stored reading without a box
        ({"xmin": None, "ymin": 0, "xmax": 1, "ymax": 1}, 0.0),
        ({"xmin": 3, "ymin": 3, "xmax": 3, "ymax": 3}, 0.0),  # empty box inside A
    ],
)
def test_box_iou(b, expected):
    assert box_iou(A, b) == pytest.approx(expected)
    assert box_iou(b, A) == pytest.approx(expected)
