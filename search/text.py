"""Plate queries shared by every backend: query parsing, match tiers and highlighting, over the one
normaliser and look-alike folding of plates.text."""

import re
from dataclasses import dataclass
from enum import IntEnum

from plates.text import fold, fold_normalized, normalize

_NOT_QUERY_CHAR = re.compile(r"[^\w?*]+|_")
WILDCARDS = "?*"
# Queries shorter than this match plate prefixes (a trigram index needs three characters).
MIN_FRAGMENT = 3
# Fuzzy (one edit) matching starts at this query length; shorter queries would match almost anything.
MIN_FUZZY = 4


class Tier(IntEnum):
    """How a plate matched; lower ranks first."""

    EXACT = 0
    CONFUSION = 1
    FRAGMENT = 2
    FUZZY = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def reverse(text: str) -> str:
    return text[::-1]


def within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance <= 1 (one substitution, insertion or deletion)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


@dataclass(frozen=True)
class PlateQuery:
    """A parsed plate query. `norm` keeps wildcards; `folded` is `norm` with confusions folded."""

    raw: str
    norm: str
    folded: str

    @classmethod
    def parse(cls, raw: str) -> "PlateQuery":
        norm = re.sub(r"\*+", "*", _NOT_QUERY_CHAR.sub("", raw or "").upper())
        if norm.strip("*") == "":
            norm = ""
        return cls(raw=raw or "", norm=norm, folded=fold_normalized(norm))

    @property
    def empty(self) -> bool:
        return not self.norm

    @property
    def is_wildcard(self) -> bool:
        return any(ch in self.norm for ch in WILDCARDS)

    @property
    def is_short(self) -> bool:
        return len(self.folded) < MIN_FRAGMENT

    @property
    def allows_fuzzy(self) -> bool:
        return not self.is_wildcard and len(self.folded) >= MIN_FUZZY

    @property
    def literal_prefix(self) -> str:
        """Folded characters before the first wildcard."""
        return re.split(r"[?*]", self.folded, maxsplit=1)[0]

    @property
    def longest_literal(self) -> str:
        """The longest run of folded characters without wildcards."""
        return max(re.split(r"[?*]", self.folded), key=len)

    def fuzzy_halves(self) -> tuple[str, str]:
        """A plate one edit away keeps either the left half as a prefix or the right half as a suffix."""
        middle = len(self.folded) // 2
        return self.folded[:middle], self.folded[middle:]

    def wildcard_regex(self) -> re.Pattern:
        parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in self.folded)
        return re.compile("".join(parts))

    def tier_of(self, norm: str, folded: str) -> Tier | None:
        """The tier a plate (normalised and folded forms) matches at, or None. The reference semantics."""
        if self.empty:
            return Tier.FRAGMENT
        if self.is_wildcard:
            return Tier.FRAGMENT if self.wildcard_regex().fullmatch(folded) else None
        if norm == self.norm:
            return Tier.EXACT
        if folded == self.folded:
            return Tier.CONFUSION
        if self.is_short:
            if folded.startswith(self.folded):
                return Tier.FRAGMENT
        elif self.folded in folded:
            return Tier.FRAGMENT
        if self.allows_fuzzy and within_one_edit(folded, self.folded):
            return Tier.FUZZY
        return None

    def highlight(self, plate: str) -> tuple[int, int] | None:
        """Span of `plate` (as displayed, separators included) that the query matched."""
        folded = fold(plate)
        if self.empty or not folded:
            return None
        if self.is_wildcard or folded == self.folded or not self.folded:
            start, end = 0, len(folded)
        else:
            pos = folded.find(self.folded)
            if pos < 0:
                start, end = 0, len(folded)
            else:
                start, end = pos, pos + len(self.folded)
        # Map positions in the normalised text back to the displayed text.
        kept = [i for i, ch in enumerate(plate) if normalize(ch)]
        if len(kept) != len(folded) or end == 0:
            return (0, len(plate))
        return (kept[start], kept[end - 1] + 1)
