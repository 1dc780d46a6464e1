"""Plate queries: parsing, edit distance, match tiers, highlight spans."""

import pytest

from plates.text import fold, normalize
from search.text import PlateQuery, Tier, within_one_edit


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("ABC", "ABC", True),
        ("ABC", "ABD", True),
        ("ABC", "ABCD", True),
        ("ABC", "BC", True),
        ("ABC", "ACB", False),  # a transposition is two edits
        ("ABC", "A", False),
        ("", "A", True),
    ],
)
def test_within_one_edit(a, b, close):
    assert within_one_edit(a, b) is close
    assert within_one_edit(b, a) is close


@pytest.mark.parametrize(
    ("raw", "norm", "wildcard", "short"),
    [
        ("ab?2*", "AB?2*", True, False),
        ("a**b", "A*B", True, False),
        ("**", "", False, True),
        ("ab", "AB", False, True),
    ],
)
def test_parse(raw, norm, wildcard, short):
    q = PlateQuery.parse(raw)
    assert (q.norm, q.is_wildcard, q.is_short) == (norm, wildcard, short)


@pytest.mark.parametrize(
    ("query", "plate", "tier"),
    [
        ("AB1234", "AB-1234", Tier.EXACT),
        ("A81234", "AB1234", Tier.CONFUSION),
        ("B12", "XAB1234", Tier.FRAGMENT),
        ("AB", "AB1234", Tier.FRAGMENT),
        ("AB", "XAB1234", None),  # 1-2 characters match prefixes only
        ("AB?2*", "A81234", Tier.FRAGMENT),
        ("AB?2", "AB1234", None),  # wildcards are anchored
        ("AB1244", "AB1234", Tier.FUZZY),
        ("ABC", "ABD", None),  # no fuzzy below four characters
    ],
)
def test_reference_tiers(query, plate, tier):
    assert PlateQuery.parse(query).tier_of(normalize(plate), fold(plate)) == tier


@pytest.mark.parametrize(
    ("query", "plate", "span"),
    [
        ("B12", "XAB-1234", (2, 6)),
        ("AB1234", "AB 1234", (0, 7)),
        ("8O1", "B0123", (0, 3)),
        ("*23", "B0123", (0, 5)),
    ],
)
def test_highlight(query, plate, span):
    assert PlateQuery.parse(query).highlight(plate) == span
