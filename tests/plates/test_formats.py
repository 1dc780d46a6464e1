"""Country formats and confusion-aware correction (table-driven, synthetic CTC emissions)."""

import numpy as np
import pytest

from plates.ctc import SEPARATOR, Alphabet
from plates.formats import FormatCorrector, fits, plate_spacing, reachable, regions_of

DICTIONARY = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-.京")
ALPHABET = Alphabet.from_dictionary(DICTIONARY)
CORRECTOR = FormatCorrector(ALPHABET)


def emissions_for(
    text: str, *, doubt: dict[int, tuple[str, float]] | None = None, gap_after: int | None = None
) -> np.ndarray:
    """A clean CTC matrix spelling `text` (char, blank, char, blank...); doubt[i] = (other, p) moves
    probability p of character i to `other`; `gap_after` = n spaces the first n characters from the rest
    twice as wide as the others (the printed plate's gap)."""
    index = {s: i for i, s in enumerate(ALPHABET.symbols)}
    rows = []
    for position, char in enumerate(text):
        row = np.full(len(ALPHABET.symbols), 1e-4)
        row[index[char]] = 1.0
        if doubt and position in doubt:
            other, p = doubt[position]
            row[index[char]], row[index[other]] = 1 - p, p
        rows.append(row / row.sum())
        blank = np.full(len(ALPHABET.symbols), 1e-4)
        blank[0] = 1.0
        rows += [blank / blank.sum()] * (3 if position + 1 == gap_after else 1)
    return np.array(rows)


@pytest.mark.parametrize(
    ("plate", "region"),
    [
        ("AB12CDE", "gb"),
        ("AB123CD", "fr"),
        ("1234BCD", "es"),
        ("ABC1D23", "br"),
        ("ABC1234", "br"),
        ("1ABC234", "be"),
        ("6SN1234", "cz"),
        ("京A12345", "cn"),
    ],
)
def test_regions_of_known_formats(plate, region):
    assert region in regions_of(plate)


@pytest.mark.parametrize(
    ("plate", "pattern", "expected"),
    [
        ("AB12CDE", "LLDDLLL", True),
        ("A812CDE", "LLDDLLL", False),
        ("6SN1234", "DLXDDDD", True),
        ("AB1", "LLD", True),
    ],
)
def test_fits(plate, pattern, expected):
    assert fits(plate, pattern) is expected


def test_reachable_swaps_lookalikes_by_position():
    assert reachable("A812CDE", ("LLDDLLL",)) == {"AB12CDE"}
    assert reachable("AB1ZCDE", ("LLDDLLL",)) == {"AB12CDE"}
    assert reachable("BA3020Z", ("LLDDDLL",)) == {"BA302OZ", "BA302DZ"}
    assert reachable("XXXXXXX", ("LLDDLLL",)) == set()


@pytest.mark.parametrize(
    ("read", "doubt", "regions", "expected"),
    [
        # The recognizer leaves room for the look-alike and a format wants it: corrected.
        ("A812CDE", {1: ("B", 0.3)}, (), "AB12CDE"),
        ("AB1ZCDE", {3: ("2", 0.3)}, (), "AB12CDE"),
        ("BA3020Z", {5: ("O", 0.2)}, (), "BA302OZ"),
        ("AB12CDE", None, (), "AB12CDE"),  # already fits: untouched
        # Confident glyphs are kept, format or not.
        ("A812CDE", None, (), "A812CDE"),
        ("KMBORAK", None, (), "KMBORAK"),  # a vanity plate is not forced into LLDDLLL
        ("KMBORAK", None, ("gb",), "KMBORAK"),
        ("BA3020Z", None, (), "BA3020Z"),
        # O/0 and I/1 are often one glyph: a hinted region's format decides them.
        ("BA3020Z", None, ("sk",), "BA302OZ"),
        ("1O41608", None, ("cz",), "1O41608"),  # fits the hinted format already
        ("ABCS234", None, ("us",), "ABCS234"),
        # A region hint raises its formats' prior: a weakly supported swap then wins.
        ("AB1ZCDE", {3: ("2", 0.08)}, (), "AB1ZCDE"),
        ("AB1ZCDE", {3: ("2", 0.08)}, ("gb",), "AB12CDE"),
        # US formats carry no prior, hinted or not: they never overrule the glyphs.
        ("ABCS234", {3: ("5", 0.08)}, ("us",), "ABCS234"),
        ("京A12345", None, (), "京A12345"),
    ],
)
def test_corrector_changes_a_reading_only_where_the_recognizer_allows(read, doubt, regions, expected):
    decision = CORRECTOR.decide(emissions_for(read, doubt=doubt), read, [], regions)
    assert decision.plate == expected
    assert decision.corrected is (read != expected)


def test_a_format_does_not_add_a_character_the_glyphs_barely_support():
    emissions = emissions_for("4752ARM", doubt={0: ("∅", 0.7)})  # the 4 is 30 % likely
    assert CORRECTOR.decide(emissions, "752ARM", ["4752ARM"]).plate == "752ARM"
    emissions = emissions_for("4752ARM", doubt={0: ("∅", 0.1)})  # ... or 90 %: the glyphs decide
    assert CORRECTOR.decide(emissions, "4752ARM", ["752ARM"]).plate == "4752ARM"


def test_a_format_may_drop_a_stray_edge_glyph():
    emissions = emissions_for("SRK828AG", doubt={0: ("∅", 0.4)})  # a band letter read as S, 60 % likely
    assert CORRECTOR.decide(emissions, "SRK828AG", ["RK828AG"]).plate == "RK828AG"


def test_a_beam_alternative_that_fits_wins_over_an_unfit_greedy_reading():
    emissions = emissions_for("AB12CDE", doubt={1: ("8", 0.45)})
    assert CORRECTOR.decide(emissions, "A812CDE", ["AB12CDE"]).plate == "AB12CDE"


@pytest.mark.parametrize(
    ("gap_after", "expected"),
    [
        (2, "RK260AR"),  # Slovak: district, emblem, 260AR (0 and O one glyph): the layout decides
        (4, "RK26OAR"),  # British: RK26 OAR
        (None, "RK26OAR"),  # evenly spaced: no evidence, the glyphs stay
    ],
)
def test_where_the_plate_has_its_gap_decides_between_formats_of_one_pattern(gap_after, expected):
    emissions = emissions_for("RK26OAR", doubt={4: ("0", 0.2)}, gap_after=gap_after)
    assert spacing_gap(emissions) == gap_after
    assert CORRECTOR.decide(emissions, "RK26OAR", []).plate == expected


def spacing_gap(emissions: np.ndarray) -> int | None:
    spacing = plate_spacing(emissions, ALPHABET.symbols.index(SEPARATOR))
    wide = [i + 1 for i, ratio in enumerate(spacing) if ratio > 1.5]
    return wide[0] if len(wide) == 1 else None


def test_a_separator_read_between_characters_is_a_gap():
    emissions = emissions_for("RK-260AR")
    assert spacing_gap(emissions) == 2


def test_corrector_keeps_a_reading_that_fits_no_format_when_nothing_is_close():
    decision = CORRECTOR.decide(emissions_for("XQXQXQXQX"), "XQXQXQXQX", [])
    assert decision.plate == "XQXQXQXQX"
    assert decision.region == ""


def test_region_hint_guides_an_ambiguous_plate():
    plate = "AB123CD"  # fits fr, it and sk alike
    assert CORRECTOR.decide(emissions_for(plate), plate, [], ("it",)).region == "it"
    assert CORRECTOR.decide(emissions_for(plate), plate, [], ("sk",)).region == "sk"


def test_region_hint_never_forces_a_foreign_plate():
    plate = "AB12CDE"  # a clean GB plate read with certainty; the hint is German
    decision = CORRECTOR.decide(emissions_for(plate), plate, [], ("br",))
    assert decision.plate == "AB12CDE"
    assert decision.region == "gb"


def test_separators_do_not_reach_the_plate():
    decision = CORRECTOR.decide(emissions_for("AB12-CDE"), "AB12-CDE", [])
    assert decision.plate == "AB12CDE"


def test_chinese_province_character_is_kept():
    decision = CORRECTOR.decide(emissions_for("京A12345"), "京A12345", [])
    assert decision.plate == "京A12345"
    assert decision.region == "cn"
