"""The one plate-text normaliser and look-alike table (plates.text)."""

import pytest

from plates.text import LOOKALIKE_CLASSES, fold, lookalikes, normalize


@pytest.mark.parametrize(
    ("raw", "norm", "folded"),
    [
        ("ab-12 cd", "AB12CD", "A812C0"),
        ("B0123", "B0123", "80123"),
        ("8O123", "8O123", "80123"),
        ("Q-D-O-0", "QDO0", "0000"),
        ("I L 1", "IL1", "111"),
        ("ZSGB", "ZSGB", "2568"),
        ("é-7", "É7", "É7"),
        ("ab/12", "AB12", "A812"),  # a correction typed with a slash
        ("京A·12345", "京A12345", "京A12345"),
    ],
)
def test_normalize_and_fold(raw, norm, folded):
    assert normalize(raw) == norm
    assert fold(raw) == folded


def test_lookalikes_are_the_other_members_of_a_class():
    assert lookalikes("O") == "0DQ" and lookalikes("1") == "IL" and lookalikes("A") == ""
    assert all(cls[0].isdigit() for cls in LOOKALIKE_CLASSES), "each class folds onto its digit"
