"""Plates written as their country prints them (`AB12 CDE`, `ABC-1234`, `AB-123-CD`), for people to read.

The engine stores and searches plates compact and lower-case; this is the one place that turns such a plate
back into its printed form. A layout is applied only when the region is known and the plate fits exactly one
of that region's printed layouts; otherwise it is written as stored (the engine stores plates compact), upper-case.
German district codes have a variable length, so they are spaced only where the split is certain."""

from __future__ import annotations

import re

from .text import normalize

# Region code -> printed layouts. In a layout, L is a letter, D a digit, X either; every other character is
# printed as is. A compact plate uses the layout whose slots (separators removed) it fits; a plate that fits
# two layouts of different shape is ambiguous and stays compact.
LAYOUTS: dict[str, tuple[str, ...]] = {
    "gb": ("LLDD LLL", "LD LLL", "LDD LLL", "LDDD LLL", "LLL DL", "LLL DDL", "LLL DDDL"),
    "br": ("LLL-DDDD", "LLLDLDD"),
    "fr": ("LL-DDD-LL", "D LL DD", "DD LL DD", "DDD LL DD", "DDDD LL DD", "DDD LLL DD", "DDDD LLL DD"),
    "it": ("LL DDDLL",),
    "es": ("DDDD LLL",),
    # Dutch sidecodes 1-14: the groups follow the letter/digit runs.
    "nl": (
        "LL-DD-DD",
        "DD-DD-LL",
        "DD-LL-DD",
        "LL-DD-LL",
        "LL-LL-DD",
        "DD-LL-LL",
        "DD-LLL-D",
        "D-LLL-DD",
        "LL-DDD-L",
        "L-DDD-LL",
        "LLL-DD-L",
        "L-DD-LLL",
        "D-LL-DDD",
        "DDD-LL-D",
    ),
    # District (1-3 letters) + 1-2 letters: certain only with 2 letters in all (1 + 1) or 5 (3 + 2).
    "de": ("L L D", "L L DD", "L L DDD", "L L DDDD", "LLL LL D", "LLL LL DD", "LLL LL DDD"),
    "be": ("D-LLL-DDD",),
    "cz": ("DLX DDDD",),
    "ch": ("LL D", "LL DD", "LL DDD", "LL DDDD", "LL DDDDD", "LL DDDDDD"),
    "pt": ("DD-LL-DD", "LL-DD-LL", "DD-DD-LL", "LL-DD-DD"),
    "ro": ("L DD LLL", "L DDD LLL", "LL DD LLL"),
    "dk": ("LL DD DDD",),
    "no": ("LL DDDDD",),
    "se": ("LLL DDD", "LLL DDL"),
    "fi": ("LLL-DDD", "LL-DDD"),
    "hu": ("LLL-DDD", "LL LL-DDD"),
}
_SLOT = re.compile(r"[LDX]")
# Region -> [(slots without separators, layout)], computed once.
_BY_REGION = {
    region: tuple(("".join(_SLOT.findall(layout)), layout) for layout in layouts)
    for region, layouts in LAYOUTS.items()
}


def _fits(plate: str, slots: str) -> bool:
    if len(plate) != len(slots):
        return False
    for char, slot in zip(plate, slots, strict=True):
        is_letter, is_digit = "A" <= char <= "Z", "0" <= char <= "9"
        if not (is_letter if slot == "L" else is_digit if slot == "D" else is_letter or is_digit):
            return False
    return True


def _apply(plate: str, layout: str) -> str:
    chars = iter(plate)
    return "".join(next(chars) if _SLOT.fullmatch(c) else c for c in layout)


def region_country(region: str | None) -> str:
    """The country of a region code, lower-case: `US-CA` -> `us`, `gb` -> `gb`."""
    return (region or "").lower().split("-", 1)[0].split("_", 1)[0]


def display_plate(plate: str, region: str | None = None) -> str:
    """The plate as printed in `region` (a Plate Recognizer region code such as `gb`, `de`, `us-ca`), or as
    stored, upper-case, when the region or its layout is unknown or ambiguous."""
    text = normalize(plate)
    country = region_country(region)
    printed = {_apply(text, layout) for slots, layout in _BY_REGION.get(country, ()) if _fits(text, slots)}
    return printed.pop() if len(printed) == 1 else " ".join((plate or "").split()).upper()
