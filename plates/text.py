"""Plate text rules of the whole product: the one normaliser (how plate text is compared, stored and
searched) and the one look-alike table (characters OCR confuses), used by format correction, search, the
DAM and the benchmarks."""

from __future__ import annotations

import re

# Look-alike classes: a digit and the letters OCR reads in its place (or the other way round).
LOOKALIKE_CLASSES = ("0ODQ", "1IL", "2Z", "5S", "6G", "8B")
_FOLD = str.maketrans({ch: cls[0] for cls in LOOKALIKE_CLASSES for ch in cls[1:]})
_NOT_PLATE_CHAR = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Letters and digits only, upper case: separators, spaces and punctuation go (`ab-12 c` -> `AB12C`,
    `ab/12` -> `AB12`); non-Latin plate characters (Chinese provinces) stay."""
    return _NOT_PLATE_CHAR.sub("", text or "").upper()


def fold_normalized(text: str) -> str:
    """Map each look-alike onto its class's digit in text already normalised; other characters (search
    wildcards included) pass through."""
    return text.translate(_FOLD)


def fold(text: str) -> str:
    """Normalise, then map every look-alike onto its class's digit: `B0I23` -> `80123`."""
    return fold_normalized(normalize(text))


def lookalikes(char: str) -> str:
    """The other members of `char`'s look-alike class ("" when it has none): `O` -> `0DQ`."""
    for cls in LOOKALIKE_CLASSES:
        if char in cls:
            return cls.replace(char, "")
    return ""
