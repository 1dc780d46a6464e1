"""The EU identifier band: found by colour on synthetic crops (table-driven), its code constrained to known
signs, and used as the plate's own country by the format corrector."""

import numpy as np
import pytest

from plates.band import BAND_CODES, MIN_CODE_CONFIDENCE, find_band, read_code
from plates.synth import PLATE_COLORS, eu_plate, one_row_plate, plate_photo
from tests.plates.test_formats import ALPHABET, CORRECTOR, emissions_for


def _blue_plate(width: int = 320) -> np.ndarray:
    plate = np.zeros((round(width / 4.6), width, 3), np.uint8)
    plate[:] = PLATE_COLORS["blue"][0]
    return plate


def _blue_sticker(width: int = 320) -> np.ndarray:
    plate = one_row_plate("AB123CD", width).copy()
    plate[:, : width // 3] = PLATE_COLORS["blue"][0]  # a third of the plate: no band
    return plate


@pytest.mark.parametrize(
    ("crop", "band"),
    [
        (eu_plate("RK260AR", "SK"), True),
        (eu_plate("AB123CD", "F", width=160), True),
        (eu_plate("B1234", "D", width=90), True),  # 20 px high: still found
        (eu_plate("AB12CDE", None), True),  # a band without a code
        (one_row_plate("ABC1234"), False),
        (_blue_plate(), False),  # a blue plate is not a band
        (_blue_sticker(), False),
        (eu_plate("B1234", "D", width=50), False),  # too small to read a code from
    ],
)
def test_band_is_found_by_colour(crop, band):
    assert (find_band(crop) is not None) is band


def test_band_columns_are_the_strip_at_the_left():
    crop = eu_plate("RK260AR", "SK", width=320)
    found = find_band(crop)
    assert found.x0 <= 2 and 22 <= found.x1 <= 32
    assert found.code_patch(crop).shape[1] == found.x1 - found.x0


@pytest.mark.parametrize(
    ("spelled", "doubt", "code"),
    [
        ("SK", None, "SK"),
        ("D", None, "D"),
        ("CZ", None, "CZ"),
        ("SK", {1: ("X", 0.9)}, None),  # mostly an X: not confident
        ("Q", None, None),  # not a sign on any band
    ],
)
def test_code_is_read_only_among_known_signs_and_confidently(spelled, doubt, code):
    found, confidence = read_code(emissions_for(spelled, doubt=doubt), ALPHABET.symbols)
    assert found == code
    assert (confidence >= MIN_CODE_CONFIDENCE) is (code is not None)


def test_every_sign_names_a_region():
    assert all(code.isupper() and len(region) == 2 for code, region in BAND_CODES.items())


def test_a_band_country_decides_a_look_alike_other_formats_would_keep():
    # RK26OAR fits gb, RK260AR sk: the glyph is an O, 0 is 15 % likely.
    emissions = emissions_for("RK26OAR", doubt={4: ("0", 0.15)})
    assert CORRECTOR.decide(emissions, "RK26OAR", []).plate == "RK26OAR"
    decision = CORRECTOR.decide(emissions, "RK26OAR", [], country="sk")
    assert (decision.plate, decision.region) == ("RK260AR", "sk")


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("RK26OAR", "RK260AR"),  # O and 0 are often one glyph: the country's format decides them
        ("RK26SAR", "RK26SAR"),  # a certain S is not a 5, whatever the band says
        ("KMBORAK", "KMBORAK"),  # fits no Slovak format: stays as read
    ],
)
def test_a_band_country_decides_o_and_0_but_never_other_certain_glyphs(read, expected):
    assert CORRECTOR.decide(emissions_for(read), read, [], country="sk").plate == expected


def test_a_country_without_formats_changes_nothing():
    emissions = emissions_for("RK26OAR", doubt={4: ("0", 0.15)})
    assert CORRECTOR.decide(emissions, "RK26OAR", [], country="pl").plate == "RK26OAR"


@pytest.mark.parametrize(("code", "region"), [("SK", "sk"), ("D", "de")])
def test_the_engine_reads_a_rendered_band(pipeline, code, region):
    crop = eu_plate("RK260AR", code, width=320)
    plain = one_row_plate("RK260AR", 320)
    assert pipeline.band_countries([crop, plain]) == [region, None]


@pytest.mark.parametrize(
    ("text", "code", "region"),
    [
        ("AB123CD", "SK", "sk"),  # fits fr, it and sk: the band decides
        ("AB12CD", "P", "pt"),  # fits nl and pt
        ("AB123CD", "F", "fr"),
        ("MAB1234", "D", "de"),
        ("1AB2345", "CZ", "cz"),
        ("AB12CDE", "GB", "gb"),
    ],
)
@pytest.mark.parametrize("width", [320, 160])
def test_the_band_names_the_region_and_its_sign_stays_out_of_the_plate(pipeline, text, code, region, width):
    decision = pipeline.read_crops([eu_plate(text, code, width=width)])[0]
    assert (decision.plate, decision.region) == (text, region)


def test_a_lone_i_sign_is_left_unread(pipeline):
    # A single bar reads as I, 1 or a frame edge alike: below the confidence floor, so no country.
    assert pipeline.band_countries([eu_plate("AB123CD", "I")]) == [None]


def test_a_photographed_band_names_the_region_end_to_end(pipeline):
    # AB123CD fits fr, it and sk; read without a band it is reported fr. (The detector cuts some rendered
    # bands off the plate's box, on other seeds: then no sign is read and the region stays fr.)
    assert pipeline.recognize(plate_photo("AB123CD")).results[0].region == "fr"
    result = pipeline.recognize(plate_photo("AB123CD", band="SK", seed=2)).results[0]
    assert (result.text, result.region) == ("ab123cd", "sk")
