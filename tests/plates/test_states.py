"""The US state a plate names: found in the strips above and below the number (table-driven on reader
texts, and on rendered plates with the real reader), and used as the plate's own region by the corrector."""

import pytest

from plates.formats import STATE_ONLY_SCORE, US_STATE_FORMATS
from plates.states import STATE_NAMES, find_state, plate_states, strips, substring_distance
from plates.synth import eu_plate, one_row_plate, plate_photo, us_plate
from tests.plates.test_formats import CORRECTOR, emissions_for


@pytest.mark.parametrize(
    ("texts", "state"),
    [
        (["ALASKA10", ""], "us-ak"),
        (["DEC-CALIFORNIA", ""], "us-ca"),
        (["", "NEW-HAMPSHIRE"], "us-nh"),
        (["CALIFOMIA", ""], "us-ca"),  # RN read as M: two edits in a 10-letter name
        (["MASACHUSETS"], "us-ma"),  # two letters missing in a 13-letter one
        (["ARKANSAS"], "us-ar"),  # holds KANSAS
        (["ARIKANSAS"], "us-ar"),  # ... and with a misread letter still ARKANSAS
        (["KANSAS"], "us-ks"),
        (["WES-VIRGINIA", "WILD-WONDERFUL"], "us-wv"),  # holds VIRGINIA
        (["VIRGINIA"], "us-va"),
        (["WASHINGTON"], "us-wa"),
        (["WASINGTON-D-C-"], "us-dc"),  # holds WASHINGTON
        (["FIRST-IN-FLIGHT", "NORTH-CAROLINA"], "us-nc"),  # SOUTHCAROLINA is two edits away: fewest wins
        (["SOUTH-CAROLINA"], "us-sc"),
        (["-NORTH-DAKOTA"], "us-nd"),
        (["UVE-FEE-OR-DE", "7-HAMPSHIRE-"], "us-nh"),  # New Hampshire's "New" is a small script
        (["HAWAL", "ALOHA-STATE"], "us-hi"),  # Hawaii's name is a thin script, its slogan is not
        (["OHI0"], None),  # short names must be read exactly
        (["TEXAS", "OHIO"], None),  # two states: no evidence
        (["SAO-PAULO"], None),
        (["", ""], None),
    ],
)
def test_the_state_is_found_in_what_the_strips_read(texts, state):
    assert find_state(texts) == state


def test_substring_distance():
    assert substring_distance("OHIO", "XXOHIOXX") == 0
    assert substring_distance("CALIFORNIA", "DECCALIFOMIA") == 2  # RN read as M
    assert substring_distance("UTAH", "") == 4


def test_every_state_has_a_name_and_the_formats_name_known_states():
    assert set(US_STATE_FORMATS) <= set(STATE_NAMES)
    assert all(
        code.startswith("us-") and name.isalpha() and name.isupper() for code, name in STATE_NAMES.items()
    )


@pytest.mark.parametrize(
    ("crop", "shaped"),
    [
        (us_plate("ABC1234", "Ohio"), True),
        (one_row_plate("ABC1234"), False),  # 4.6:1, an EU-shaped plate prints no state
        (eu_plate("AB123CD", "F"), False),
        (us_plate("ABC1234", "Ohio", width=40), False),  # 20 px high: the name is unreadable
    ],
)
def test_only_plates_shaped_like_us_ones_are_read_for_a_state(crop, shaped):
    assert (strips(crop) is not None) is shaped


@pytest.mark.parametrize(
    ("name", "below", "width", "state"),
    [
        ("Nevada", False, 300, "us-nv"),
        ("CONNECTICUT", True, 240, "us-ct"),
        ("New York", False, 200, "us-ny"),
        ("Arkansas", False, 120, "us-ar"),
        (None, False, 300, None),
    ],
)
def test_the_engine_reads_a_rendered_state_name(pipeline, name, below, width, state):
    crop = us_plate("650VYM", name, width, name_below=below)
    assert plate_states(pipeline.band_reader, [crop], [True]) == [state]
    assert plate_states(pipeline.band_reader, [crop], [False]) == [None]  # not wanted: not read


@pytest.mark.parametrize(
    ("read", "doubt", "state", "expected"),
    [
        # O and 0 are one glyph in most US fonts: the state's formats decide what the glyphs leave open.
        ("1O41608", {1: ("0", 0.3)}, "us-nh", "1041608"),
        ("1O41608", {1: ("0", 0.3)}, None, "1O41608"),  # fits a Czech format as read
        # ... never a certain glyph: a D read with certainty stays a D.
        ("65DVYM", None, "us-nv", "65DVYM"),
        # A state takes the prior from every other country's formats (471NZ0 fits a Dutch one).
        ("471NZO", {5: ("0", 0.45)}, None, "471NZ0"),
        ("471NZO", {5: ("0", 0.45)}, "us-ct", "471NZO"),
    ],
)
def test_a_state_decides_look_alikes_the_glyphs_leave_open(read, doubt, state, expected):
    decision = CORRECTOR.decide(emissions_for(read, doubt=doubt), read, [], country=state)
    assert decision.plate == expected
    if state:
        assert decision.region == state


def test_a_vanity_plate_keeps_its_reading_and_its_state():
    decision = CORRECTOR.decide(emissions_for("NTGUILTY"), "NTGUILTY", [], country="us-ca")
    assert (decision.plate, decision.region, decision.region_score) == ("NTGUILTY", "us-ca", STATE_ONLY_SCORE)


@pytest.mark.parametrize(
    ("read", "doubt", "wanted"),
    [
        ("ABC1234", None, False),  # every glyph certain: no state could change it
        ("1O41608", {1: ("0", 0.3)}, True),  # a look-alike left open that a state's format could decide
        ("65DVYM", None, False),
        ("471NZO", {5: ("0", 0.45)}, True),  # another country's format corrected it
    ],
)
def test_the_state_is_read_only_where_it_could_decide(read, doubt, wanted):
    emissions = emissions_for(read, doubt=doubt)
    score = CORRECTOR.scorer(emissions)
    decision = CORRECTOR.decide(emissions, read, [], score=score)
    assert CORRECTOR.state_could_decide(emissions, [], decision, score) is wanted


def test_a_state_read_off_the_plate_names_its_region_end_to_end(pipeline, monkeypatch):
    crop = us_plate("ABC1234", "New York")
    assert pipeline.read_crops([crop])[0].region != "us-ny"  # a clean reading: the state is not read
    monkeypatch.setattr(pipeline.corrector, "state_could_decide", lambda *args: True)
    decision = pipeline.read_crops([crop])[0]
    assert (decision.plate, decision.region) == ("ABC1234", "us-ny")


@pytest.mark.parametrize("regions", [("us",), ("us-ca",), ("gb", "us-ny")])
def test_a_caller_that_says_its_plates_are_american_gets_every_state(pipeline, regions):
    crop = us_plate("ABC1234", "New York")
    decision = pipeline.read_crops([crop], regions)[0]
    assert (decision.plate, decision.region) == ("ABC1234", "us-ny")  # read though the reading is clean
    assert pipeline.read_crops([crop], ("gb",))[0].region != "us-ny"


@pytest.mark.parametrize(
    ("regions", "expected", "region"),
    [
        (("us-nv",), "650VYM", "us-nv"),  # a deployment in Nevada says so: its formats decide the O
        (("us",), "65OVYM", "nl"),  # the country alone: US formats carry no prior
        (("us-ca",), "65OVYM", "nl"),  # another state's formats do not fit: nothing changes
    ],
)
def test_a_state_hint_decides_look_alikes_like_a_state_read_off_the_plate(regions, expected, region):
    # A hint raises, it does not exclude: other countries' formats keep their priors (unlike a state read
    # off the plate), so where one fits as well as the state's, the glyphs decide.
    decision = CORRECTOR.decide(emissions_for("65OVYM", doubt={2: ("0", 0.3)}), "65OVYM", [], regions)
    assert (decision.plate, decision.region) == (expected, region)


def test_the_engine_passes_a_state_hint_to_the_corrector(pipeline, monkeypatch):
    seen = []
    decide = pipeline.corrector.decide
    monkeypatch.setattr(
        pipeline.corrector, "decide", lambda *args, **kwargs: seen.append(args[3]) or decide(*args, **kwargs)
    )
    pipeline.recognize(plate_photo("AB12CDE"), regions=["US-CA", "gb-eng", "fr"])
    assert seen and seen[0] == ("us-ca", "gb", "fr")
