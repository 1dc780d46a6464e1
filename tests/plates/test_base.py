"""The box overlap shared by the benchmark and the DAM's review-keeping logic."""

import pytest

from plates.base import BoundingBox

A = BoundingBox(0, 0, 10, 10)


@pytest.mark.parametrize(
    ("b", "expected"),
    [
        (A, 1.0),
        (BoundingBox(5, 0, 15, 10), 50 / 150),
        (BoundingBox(20, 20, 30, 30), 0.0),
        (BoundingBox(3, 3, 3, 3), 0.0),  # empty box inside A
    ],
)
def test_box_iou(b, expected):
    assert A.iou(b) == pytest.approx(expected)
    assert b.iou(A) == pytest.approx(expected)
