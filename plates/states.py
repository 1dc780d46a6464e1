"""The US state a plate names: most US plates print their state's name above or below the number
("California", "NEVADA", "New Hampshire"). The strips above and below the number are read by a general text
recognizer (the pipeline's is PP-OCRv6 small, which also reads the EU band's sign) and the state's name
is looked for in what it reads, allowing a misread letter in long names. A state read off the plate
itself is region evidence: that state's serial formats decide look-alikes the glyphs leave open (O/0 and
I/1 are one glyph in most US fonts), and no other country's format gets a prior."""

from __future__ import annotations

import itertools

import numpy as np

from .ctc import CtcReader, greedy

# State (Plate Recognizer's region code `us-xx`) -> the name as printed, letters only.
STATE_NAMES: dict[str, str] = {
    "us-ak": "ALASKA",
    "us-al": "ALABAMA",
    "us-ar": "ARKANSAS",
    "us-az": "ARIZONA",
    "us-ca": "CALIFORNIA",
    "us-co": "COLORADO",
    "us-ct": "CONNECTICUT",
    "us-dc": "WASHINGTONDC",
    "us-de": "DELAWARE",
    "us-fl": "FLORIDA",
    "us-ga": "GEORGIA",
    "us-hi": "HAWAII",
    "us-ia": "IOWA",
    "us-id": "IDAHO",
    "us-il": "ILLINOIS",
    "us-in": "INDIANA",
    "us-ks": "KANSAS",
    "us-ky": "KENTUCKY",
    "us-la": "LOUISIANA",
    "us-ma": "MASSACHUSETTS",
    "us-md": "MARYLAND",
    "us-me": "MAINE",
    "us-mi": "MICHIGAN",
    "us-mn": "MINNESOTA",
    "us-mo": "MISSOURI",
    "us-ms": "MISSISSIPPI",
    "us-mt": "MONTANA",
    "us-nc": "NORTHCAROLINA",
    "us-nd": "NORTHDAKOTA",
    "us-ne": "NEBRASKA",
    "us-nh": "NEWHAMPSHIRE",
    "us-nj": "NEWJERSEY",
    "us-nm": "NEWMEXICO",
    "us-nv": "NEVADA",
    "us-ny": "NEWYORK",
    "us-oh": "OHIO",
    "us-ok": "OKLAHOMA",
    "us-or": "OREGON",
    "us-pa": "PENNSYLVANIA",
    "us-ri": "RHODEISLAND",
    "us-sc": "SOUTHCAROLINA",
    "us-sd": "SOUTHDAKOTA",
    "us-tn": "TENNESSEE",
    "us-tx": "TEXAS",
    "us-ut": "UTAH",
    "us-va": "VIRGINIA",
    "us-vt": "VERMONT",
    "us-wa": "WASHINGTON",
    "us-wi": "WISCONSIN",
    "us-wv": "WESTVIRGINIA",
    "us-wy": "WYOMING",
}

# Other words that only one state's plates print, where its name is often unreadable (script, small):
# New Hampshire's "New" is a small script above HAMPSHIRE; Hawaii's name is a thin script, ALOHA STATE is not.
OTHER_WORDS: dict[str, tuple[str, ...]] = {
    "us-nh": ("HAMPSHIRE",),
    "us-hi": ("ALOHASTATE",),
}
STATE_WORDS: dict[str, tuple[str, ...]] = {
    code: (name,) + OTHER_WORDS.get(code, ()) for code, name in STATE_NAMES.items()
}

STRIP = 0.3  # share of the crop's height read above and below the number
MIN_HEIGHT_PX = 24  # smaller crops: the state's name is a few pixels high, not readable
# Plates that print a state's name are about twice as wide as high (12 x 6 in); an EU (4.7:1) or Brazilian
# (3:1) plate, or a square one, is not read for a state.
ASPECT = (1.5, 2.8)


def errors_allowed(name: str) -> int:
    """Misread letters a name may show and still count: none in names of up to 5 letters (OHIO, TEXAS),
    one up to 9 (ARKANSAS), two beyond (MASSACHUSETTS)."""
    return 0 if len(name) <= 5 else 1 if len(name) <= 9 else 2


def substring_distance(name: str, text: str) -> int:
    """Fewest edits (substitute, insert, delete) that turn `name` into some substring of `text`."""
    previous = [0] * (len(text) + 1)  # a match may start anywhere in text
    for i, char in enumerate(name, 1):
        current = [i] + [0] * len(text)
        for j, other in enumerate(text, 1):
            current[j] = min(previous[j - 1] + (char != other), previous[j] + 1, current[j - 1] + 1)
        previous = current
    return min(previous)


def find_state(texts: list[str]) -> str | None:
    """The state whose name (or other words only its plates print) the strips' texts show with the fewest
    misread letters, or None when two states tie. Where one state's words hold another's (KANSAS in
    ARKANSAS, VIRGINIA in WESTVIRGINIA, WASHINGTON in WASHINGTONDC), the longer is shown when it costs fewer
    extra edits than it has extra letters."""
    letters = ["".join(c for c in t if "A" <= c <= "Z") for t in texts]
    found: dict[str, tuple[int, str]] = {}  # state -> (edits, the words shown)
    for code, printed in STATE_WORDS.items():
        for words in printed:
            # Cheap filter before the edit distance: the text shares one of the words' 3-letter pieces.
            pieces = {words[i : i + 3] for i in range(len(words) - 2)}
            distances = [substring_distance(words, t) for t in letters if any(p in t for p in pieces)]
            if distances and min(distances) <= errors_allowed(words):
                found[code] = min(found.get(code, (99, "")), (min(distances), words))
    shown = set(found)
    for short, long in itertools.permutations(found, 2):
        (short_edits, short_words), (long_edits, long_words) = found[short], found[long]
        if short_words in long_words:
            shown.discard(short if long_edits - short_edits < len(long_words) - len(short_words) else long)
    ranked = sorted((found[code][0], code) for code in shown)
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]


def strips(crop: np.ndarray) -> list[np.ndarray] | None:
    """The strips above and below the number of a crop shaped like a plate that prints its state, else
    None."""
    height, width = crop.shape[:2]
    if height < MIN_HEIGHT_PX or not ASPECT[0] <= width / height <= ASPECT[1]:
        return None
    rows = max(1, int(height * STRIP))
    return [np.ascontiguousarray(crop[:rows]), np.ascontiguousarray(crop[height - rows :])]


def plate_states(reader: CtcReader, crops: list[np.ndarray], wanted: list[bool]) -> list[str | None]:
    """For each crop: the state it names, where `wanted` and the crop is shaped like a US plate; else None.
    One recognizer batch for every strip."""
    cut = [strips(c) if want else None for c, want in zip(crops, wanted, strict=True)]
    batch = [s for pair in cut if pair for s in pair]
    if not batch:
        return [None] * len(crops)
    texts = []
    for probs in reader.probabilities(batch):
        labels, _ = greedy(reader.alphabet.reduce(probs))
        texts.append(reader.alphabet.text(labels))
    found, position = [], 0
    for pair in cut:
        if pair is None:
            found.append(None)
            continue
        found.append(find_state(texts[position : position + 2]))
        position += 2
    return found
