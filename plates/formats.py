"""Country plate formats and evidence-weighted look-alike correction.

A format is a fixed-length pattern over L (letter), D (digit), X (either), C (a Chinese plate character).
Candidates are the greedy reading, the beam alternatives, and the strings reachable from them by look-alike
swaps (O/D/Q<->0, I<->1, Z<->2, S<->5, G<->6, B<->8) that fit a format. Each is scored by the recognizer's
own CTC log-likelihood plus a small prior for the format it fits. A swap costs what the recognizer says it
costs: a look-alike may lend only a small share of its probability (O/0 and I/1, often the same glyph, a
larger one), so a format wins only where the glyphs leave room for it, and a confident reading that fits no
format (a vanity plate, a country we do not list) stays as read. Region hints raise their formats' prior;
US formats are many and weak and carry no prior at all: they never overrule the glyphs. A US state, read off
the plate (plates.states) or given as a hint (`us-ca`), gives that state's own serial formats the plain
format prior: they decide look-alikes the glyphs leave open (O/0, I/1 are one glyph in most US fonts)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from .ctc import BLANK, SEPARATOR, Alphabet, best_path, log_likelihoods, log_probabilities
from .text import LOOKALIKE_CLASSES


def _expand(*parts: tuple[str, int, int], max_len: int = 10) -> tuple[str, ...]:
    """('L', 1, 3), ('D', 1, 4) -> every fixed-length pattern of 1-3 letters then 1-4 digits."""
    out = []
    for counts in itertools.product(*[range(lo, hi + 1) for _, lo, hi in parts]):
        pattern = "".join(kind * n for (kind, _, _), n in zip(parts, counts, strict=True))
        if 0 < len(pattern) <= max_len:
            out.append(pattern)
    return tuple(out)


# Region code -> fixed-length patterns (separators removed). Codes follow Plate Recognizer's (ISO 3166).
FORMATS: dict[str, tuple[str, ...]] = {
    "gb": ("LLDDLLL",)
    + _expand(("L", 1, 1), ("D", 1, 3), ("L", 3, 3))
    + _expand(("L", 3, 3), ("D", 1, 3), ("L", 1, 1)),
    "de": _expand(("L", 2, 5), ("D", 1, 4), max_len=8),
    "fr": ("LLDDDLL",) + _expand(("D", 1, 4), ("L", 2, 3), ("D", 2, 2)),
    "it": ("LLDDDLL",),
    "es": ("DDDDLLL",) + _expand(("L", 1, 2), ("D", 4, 4), ("L", 1, 2)),
    "nl": (
        "LLDDDD",
        "DDDDLL",
        "DDLLDD",
        "LLDDLL",
        "LLLLDD",
        "DDLLLL",
        "DDLLLD",
        "DLLLDD",
        "LLDDDL",
        "LDDDLL",
        "LLLDDL",
        "LDDLLL",
        "DLLDDD",
        "DDDLLD",
    ),
    "br": ("LLLDDDD", "LLLDLDD"),
    "us": ("DLLLDDD", "LLLDDDD", "LLLDDD", "DDDLLL", "LLDDDDD", "DLLDDD", "DDDDDDD", "LLLLDDD"),
    "sk": ("LLDDDLL",),
    "cz": ("DLXDDDD",),
    "at": _expand(("L", 1, 2), ("D", 1, 5), ("L", 1, 2), max_len=8),
    "be": ("DLLLDDD",),
    "ch": _expand(("L", 2, 2), ("D", 1, 6)),
    "pt": ("DDLLDD", "LLDDLL", "DDDDLL", "LLDDDD"),
    "hu": ("LLLDDD", "LLLLDDD"),
    "ro": ("LLDDLLL", "LDDLLL", "LDDDLLL"),
    "se": ("LLLDDD", "LLLDDL"),
    "dk": ("LLDDDDD",),
    "no": ("LLDDDDD",),
    "fi": ("LLLDDD", "LLDDD"),
    "ie": _expand(("D", 2, 3), ("L", 1, 2), ("D", 1, 6)),
    "cn": ("CLXXXXX", "CLXXXXXX"),
}
DEFAULT_ORDER = tuple(FORMATS)
# US states (Plate Recognizer's `us-xx` codes): the serial formats of their standard passenger plates, current
# and recent issues (California 1ABC234, Texas AB1C234, Nevada 123-ABC). Checked against the states' labels
# in the US training split, where the standard formats are most of each state's plates; vanity plates fit
# none and stay as read. Used only where the state is known: read off the plate (plates.states) or a hint.
US_STATE_FORMATS: dict[str, tuple[str, ...]] = {
    "us-ak": ("LLLDDD",),
    "us-al": ("DLDDDDL", "DDLDDDL"),
    "us-ar": ("DDDLLL", "LLLDDD"),
    "us-az": ("LLLDDDD", "DDDLLL"),
    "us-ca": ("DLLLDDD",),
    "us-co": ("DDDLLL", "LLLDDDD", "LLLLDD"),
    "us-ct": ("DDDLLL",),
    "us-dc": ("LLDDDD", "DDDDDD"),
    "us-de": ("DDDDDD", "DDDDD"),
    "us-fl": ("LDDDLL", "DDDLLL", "LLLLDD"),
    "us-ga": ("LLLDDDD",),
    "us-hi": ("LLLDDD",),
    "us-ia": ("DDDLLL", "LLLDDD", "DDDDLL"),
    "us-id": ("DLLDDDD", "DLDDDDD", "LDDDDDD"),
    "us-il": ("DDDDDDD", "LDDDDDD", "LLDDDDD"),
    "us-in": ("DDDLLL", "DDDL"),
    "us-ks": ("DDDLLL", "LLLDDD"),
    "us-ky": ("DDDLLL",),
    "us-la": ("LLLDDD", "LDDDDDD"),
    "us-ma": ("DDLLDD", "DDDLLD", "DLLLDD", "DDDDLL"),
    "us-md": ("LLLDDD", "DLLLDD", "DLLDDDD", "DDDDDL", "LDDDDDD"),
    "us-me": ("DDDDLL", "DDDLLL"),
    "us-mi": ("LLLDDDD", "DLLLDD"),
    "us-mn": ("LLLDDD", "DDDLLL", "LLDDD"),
    "us-mo": ("LLDLDL",),
    "us-ms": ("LLLDDD", "DDDLLL"),
    "us-nc": ("LLLDDDD",),
    "us-nd": ("LLLDDD", "DDDLLL"),
    "us-ne": ("DLLDDD", "DLDDDD", "LLLDDD"),
    "us-nh": ("DDDDDDD", "DDDDDD"),
    "us-nj": ("LLLDDL", "LDDLLL"),
    "us-nm": ("LLLDDD", "DDDLLL"),
    "us-nv": ("DDDLLL",),
    "us-ny": ("LLLDDDD",),
    "us-oh": ("LLLDDDD",),
    "us-ok": ("DDDLLL", "LLLDDD"),
    "us-or": ("LLLDDD", "DDDLLL"),
    "us-pa": ("LLLDDDD",),
    "us-ri": ("LLDDD", "DDDDDD", "DDDDD"),
    "us-sc": ("LLLDDD",),
    "us-sd": ("DLLDDD", "DLDDDD", "LLDDDD"),
    "us-tn": ("DDDLLL", "LDDDDL"),
    "us-tx": ("LLDLDDD", "LLLDDDD", "DDDLLL"),
    "us-ut": ("LDDDLL", "DDDLLL"),
    "us-va": ("LLLDDDD", "DDDDLL", "LLDDDD"),
    "us-vt": ("LLLDDD",),
    "us-wa": ("DDDLLL", "LLLDDDD"),
    "us-wi": ("DDDLLL", "LLLDDDD"),
    "us-wv": ("DLDDDD", "DLLDDD", "LLLDDD"),
}
ALL_STATE_PATTERNS = tuple(dict.fromkeys(p for patterns in US_STATE_FORMATS.values() for p in patterns))
# Region score of a plate whose state is read off it while its number fits none of the state's formats.
STATE_ONLY_SCORE = 0.5
MAX_OPEN_VARIANTS = 64  # a reading with more look-alike variants left open is worth reading the state for
# Regions whose patterns admit many strings (variable lengths): fitting one is weak evidence.
LOOSE = frozenset({"de", "at", "ch", "ie", "hu", "se", "fi", "pt", "nl"})
# Regions whose formats are too many and too varied (vanity plates) to be evidence at all.
NO_PRIOR = frozenset({"us"})
LOOSE_PATTERNS = frozenset(FORMATS["gb"][1:] + FORMATS["fr"][1:] + FORMATS["es"][1:])
# Where a format's printed plate has its gap (an emblem, a space, a dash): characters before it. Formats that
# share a pattern differ here: GB `AB12 CDE` and Slovak `AB▣123CD`, where 0 and O are one glyph.
GAPS: dict[tuple[str, str], tuple[int, ...]] = {
    ("gb", "LLDDLLL"): (4,),
    ("sk", "LLDDDLL"): (2,),
    ("fr", "LLDDDLL"): (2, 5),
    ("it", "LLDDDLL"): (2,),
    ("es", "DDDDLLL"): (4,),
    ("br", "LLLDDDD"): (3,),
    ("br", "LLLDLDD"): (3,),
    ("be", "DLLLDDD"): (1, 4),
    ("cz", "DLXDDDD"): (3,),
    ("ro", "LLDDLLL"): (2, 4),
    ("hu", "LLLDDD"): (3,),
    ("se", "LLLDDD"): (3,),
    ("fi", "LLLDDD"): (3,),
}
MIN_GAP = 1.3  # a gap: the distance between two neighbours' centres over the plate's median distance
GAP_MARGIN = 0.25  # ... and that much wider than the next widest, or the plate has no one clear gap
MIN_OTHER_GAP = 1.15  # a format's other gaps: at least this wide
SEPARATOR_GAP = 2.0  # a separator read between two characters is a gap this wide
LAYOUT = 1.0  # nats: a format whose gap is where the plate has its gap gains this much; elsewhere, loses it

TO_DIGIT = {letter: cls[0] for cls in LOOKALIKE_CLASSES for letter in cls[1:]}
# A digit in a letter slot may be any of its look-alike letters except Q (for 0) and L (for 1): the
# correction was tuned and benchmarked without those two, adding them is unmeasured.
TO_LETTER = {cls[0]: cls[1:].replace("Q", "").replace("L", "") for cls in LOOKALIKE_CLASSES}
# How much of a look-alike's probability a character may borrow when its reading is scored: the most a
# swap against a certain glyph can cost is -log(share) nats, which the format prior must outweigh.
BORROW = {frozenset("O0"): math.exp(-2.5), frozenset("I1"): math.exp(-2.5)}
BORROW_OTHER = math.exp(-4.0)
LOOKALIKES: dict[str, str] = {}
for letter, digit in TO_DIGIT.items():
    LOOKALIKES[letter] = LOOKALIKES.get(letter, "") + digit
    LOOKALIKES[digit] = LOOKALIKES.get(digit, "") + letter


def _slot_ok(kind: str, char: str) -> bool:
    if kind == "L":
        return "A" <= char <= "Z"
    if kind == "D":
        return char.isdigit()
    if kind == "C":
        return not char.isascii()
    return char.isascii() and char.isalnum()


def fits(plate: str, pattern: str) -> bool:
    return len(plate) == len(pattern) and all(_slot_ok(k, c) for k, c in zip(pattern, plate, strict=True))


def _kinds(plate: str) -> str:
    """What each character is (L letter, D digit, C other non-ASCII, ? else): all `fits` looks at in the
    reader's upper-case plate strings."""
    return "".join(
        "L" if "A" <= c <= "Z" else "D" if c.isdigit() else "C" if not c.isascii() else "?" for c in plate
    )


@lru_cache(maxsize=4096)  # keyed by what readings look like: bounded, so a long-running worker stays small
def _fitting(kinds: str) -> tuple[tuple[str, str], ...]:
    """(region, pattern) of every format a plate with these character kinds fits."""
    sample = kinds.replace("L", "A").replace("D", "0").replace("C", "京")
    return tuple((code, p) for code, patterns in FORMATS.items() for p in patterns if fits(sample, p))


def patterns_of(code: str) -> tuple[str, ...]:
    """A country's or a US state's formats (none for a code without listed formats)."""
    return FORMATS.get(code) or US_STATE_FORMATS.get(code, ())


def regions_of(plate: str, order: tuple[str, ...] = DEFAULT_ORDER) -> list[str]:
    return [code for code in order if any(fits(plate, p) for p in patterns_of(code))]


@cache
def _options(kind: str, char: str) -> str:
    if _slot_ok(kind, char):
        return char
    if kind == "D" and char in TO_DIGIT:
        return TO_DIGIT[char]
    if kind == "L" and char in TO_LETTER:
        return TO_LETTER[char]
    return ""


@lru_cache(maxsize=1024)  # keyed by the region hints' order too
def _of_length(patterns: tuple[str, ...], length: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in patterns if len(p) == length))


def reachable(plate: str, patterns: tuple[str, ...]) -> set[str]:
    """Format-fitting strings reachable from `plate` by look-alike swaps."""
    out = set()
    for pattern in _of_length(patterns, len(plate)):
        options = []
        for kind, char in zip(pattern, plate, strict=True):
            option = _options(kind, char)
            if not option:
                break
            options.append(option)
        else:
            out.update("".join(combo) for combo in itertools.product(*options))
    return out


def plate_spacing(emissions: np.ndarray, separator: int) -> tuple[float, ...]:
    """Spacing of the best path's characters: for each pair of neighbours, the distance between their centres
    over the median distance (a separator read between them counts as SEPARATOR_GAP). Empty for fewer than
    four characters."""
    centres: list[float] = []
    separated: list[int] = []
    for label, first, last in best_path(emissions):
        if label == separator:
            separated.append(len(centres))
        else:
            centres.append((first + last) / 2)
    if len(centres) < 4:
        return ()
    steps = np.diff(centres)
    ratios = steps / max(float(np.median(steps)), 1e-6)
    for before in separated:
        if 0 < before < len(centres):
            ratios[before - 1] = max(ratios[before - 1], SEPARATOR_GAP)
    return tuple(float(r) for r in ratios)


def layout_term(spacing: tuple[float, ...], gaps: tuple[int, ...]) -> float:
    """+LAYOUT when the plate's widest clear gap is one of a format's gaps and the format's other gaps show;
    -LAYOUT when it is elsewhere or one is missing; 0 when the spacing shows no single clear gap."""
    if len(spacing) < 3:
        return 0.0
    widest, runner_up = sorted(range(len(spacing)), key=spacing.__getitem__, reverse=True)[:2]
    if spacing[widest] < MIN_GAP or spacing[widest] - spacing[runner_up] < GAP_MARGIN:
        return 0.0
    shown = widest + 1 in gaps and all(g <= len(spacing) and spacing[g - 1] >= MIN_OTHER_GAP for g in gaps)
    return LAYOUT if shown else -LAYOUT


@dataclass(frozen=True)
class Decision:
    plate: str
    log_likelihood: float
    region: str
    region_score: float
    corrected: bool


@cache
def _borrow_matrix(symbols: str) -> np.ndarray:
    """(S, S) matrix M: borrowed emissions = emissions @ M (each look-alike lends a discounted share)."""
    size = len(symbols)
    matrix = np.eye(size)
    index = {s: i for i, s in enumerate(symbols)}
    for char, others in LOOKALIKES.items():
        for other in others:
            if char in index and other in index:
                factor = BORROW.get(frozenset((char, other)), BORROW_OTHER)
                matrix[index[other], index[char]] += factor
    # Separators may appear anywhere: score them as blanks.
    matrix[index[SEPARATOR], BLANK] += 1.0
    matrix[index[SEPARATOR], index[SEPARATOR]] = 0.0
    return matrix


class Likelihood:
    """Log-likelihood of plate strings under one crop's borrowed emissions, each string computed once:
    `score_all` runs the forward pass for many strings together, calling the object scores one."""

    def __init__(self, borrowed: np.ndarray, index: dict[str, int]):
        self.log_emissions = log_probabilities(borrowed)
        self.index = index
        self.known: dict[str, float] = {}

    def score_all(self, plates: Iterable[str]) -> None:
        new = [p for p in dict.fromkeys(plates) if p not in self.known]
        if new:
            sequences = [[self.index[c] for c in p if c in self.index] for p in new]
            self.known.update(zip(new, log_likelihoods(self.log_emissions, sequences).tolist(), strict=True))

    def __call__(self, plate: str) -> float:
        self.score_all([plate])
        return self.known[plate]


class FormatCorrector:
    """Chooses the plate among the greedy reading, the beam alternatives and their look-alike variants:
    CTC log-likelihood (look-alikes may lend probability) plus a prior for the format the string fits."""

    def __init__(
        self,
        alphabet: Alphabet,
        *,
        max_drop: float = 5.0,
        format_prior: float = 2.0,
        loose_prior: float = 0.5,
        hint_bonus: float = 1.5,
    ):
        self.alphabet = alphabet
        self.index = {s: i for i, s in enumerate(alphabet.symbols)}
        self.max_drop = max_drop
        self.format_prior = format_prior
        self.loose_prior = loose_prior
        self.hint_bonus = hint_bonus

    def scorer(self, emissions: np.ndarray) -> Likelihood:
        """Log-likelihood of plate strings under one crop's (T, S) emissions; look-alikes lend probability."""
        return Likelihood(emissions @ _borrow_matrix(self.alphabet.symbols), self.index)

    def prior(
        self, plate: str, hinted: tuple[str, ...], country: str | None = None, spacing: tuple[float, ...] = ()
    ) -> float:
        """Log-prior (nats) of the best format `plate` fits; 0 for no format and for formats without one.
        A country read off the plate itself (its EU band) leaves only that country's formats a prior; the
        plate's `spacing` raises formats printed with their gaps where it shows one, lowers the others whose gaps
        are known. A US state read off the plate gives its own formats the plain format prior, no hint bonus:
        a state's formats decide look-alikes the glyphs leave open, never a confident glyph."""
        if country in US_STATE_FORMATS:
            return self.format_prior if any(fits(plate, p) for p in US_STATE_FORMATS[country]) else 0.0
        best = 0.0
        # A deployment's state hint (`us-ca`) counts where the plate names no country of its own.
        if country is None and any(fits(plate, p) for code in hinted for p in US_STATE_FORMATS.get(code, ())):
            best = self.format_prior
        for code, pattern in _fitting(_kinds(plate)):
            if code in NO_PRIOR or (country is not None and code != country):
                continue
            loose = code in LOOSE or pattern in LOOSE_PATTERNS
            value = self.loose_prior if loose else self.format_prior
            if code in hinted:
                value += self.hint_bonus
            if spacing and (code, pattern) in GAPS:
                value += layout_term(spacing, GAPS[code, pattern])
            best = max(best, value)
        return best

    def decide(
        self,
        emissions: np.ndarray,
        greedy: str,
        alternatives: list[str],
        regions: tuple[str, ...] = (),
        country: str | None = None,
        score: Likelihood | None = None,
    ) -> Decision:
        """`regions`: the deployment's hints; `country`: the plate's own country (its band), a hint that
        also takes the prior from every other country's formats; `score`: this crop's `scorer`, when the
        caller already built it."""
        if not patterns_of(country or ""):
            country = None
        regions = ((country,) if country else ()) + tuple(r for r in regions if r != country)
        hinted = tuple(r for r in regions if patterns_of(r))
        order = hinted + tuple(r for r in DEFAULT_ORDER if r not in hinted)
        greedy_plate = greedy.replace(SEPARATOR, "")
        if not greedy_plate:
            return Decision("", 0.0, "", 0.0, False)
        score = score or self.scorer(emissions)
        spacing = plate_spacing(emissions, self.index[SEPARATOR])

        def spacing_of(candidate: str) -> tuple[float, ...]:  # the greedy path's spacing, for this candidate
            if len(candidate) == len(greedy_plate):
                return spacing
            if spacing and candidate == greedy_plate[1:]:
                return spacing[1:]
            return spacing[:-1] if spacing and candidate == greedy_plate[:-1] else ()

        sources = list(dict.fromkeys([greedy_plate] + [a.replace(SEPARATOR, "") for a in alternatives if a]))
        patterns = tuple(p for code in order for p in patterns_of(code))
        candidates = sorted(set(sources).union(*(reachable(s, patterns) for s in sources)))
        score.score_all(candidates)
        greedy_ll = score(greedy_plate)
        best, best_value, best_ll = (
            greedy_plate,
            greedy_ll + self.prior(greedy_plate, hinted, country, spacing),
            greedy_ll,
        )
        for candidate in candidates:
            if candidate == greedy_plate:
                continue
            ll = score(candidate)
            if ll < greedy_ll - self.max_drop:
                continue
            # A format may arbitrate look-alikes and drop a stray glyph at either end (a band letter, a
            # bolt), not add or drop characters elsewhere: such a beam pays the format prior per character
            # of difference, so only the glyphs can justify it.
            edge_drop = candidate in (greedy_plate[1:], greedy_plate[:-1])
            changed = 0 if edge_drop else abs(len(candidate) - len(greedy_plate)) * self.format_prior
            value = ll + self.prior(candidate, hinted, country, spacing_of(candidate)) - changed
            if value > best_value:
                best, best_value, best_ll = candidate, value, ll
        matches = regions_of(best, order)
        # The plate names its state and fits none of its formats (a vanity plate): the state is its region.
        if country in US_STATE_FORMATS and country not in matches:
            return Decision(best, best_ll, country, STATE_ONLY_SCORE, best != greedy_plate)
        return self._decision(best, best_ll, matches, hinted, corrected=best != greedy_plate)

    def state_could_decide(
        self, emissions: np.ndarray, alternatives: list[str], decision: Decision, score: Likelihood
    ) -> bool:
        """Whether a US state read off the plate could change `decision`, made without one: the decision is
        another country's format's correction (a state takes that prior away), or another candidate (an
        alternative, or the reading with look-alikes the glyphs leave open: within a format prior of the
        glyph read, at its own steps) comes within what a state's format prior could lift it by."""
        if decision.corrected:
            return True
        options = []
        for label, first, last in best_path(emissions):
            char = self.alphabet.symbols[label]
            if char == SEPARATOR:
                continue
            steps = score.log_emissions[first : last + 1]
            own = steps[:, label].max()
            near = [
                o
                for o in LOOKALIKES.get(char, "")
                if o in self.index and own - steps[:, self.index[o]].max() < self.format_prior
            ]
            options.append(char + "".join(near))
        if math.prod(len(o) for o in options) > MAX_OPEN_VARIANTS:
            return True  # the glyphs leave almost everything open
        candidates = {"".join(combo) for combo in itertools.product(*options)}
        candidates.update(a.replace(SEPARATOR, "") for a in alternatives if a)
        candidates.discard(decision.plate)
        if not candidates:
            return False
        score.score_all(candidates)
        floor = score(decision.plate)
        return any(
            score(c) + (self.format_prior if any(fits(c, p) for p in ALL_STATE_PATTERNS) else 0.0) > floor
            for c in candidates
        )

    @staticmethod
    def _decision(
        plate: str, ll: float, matches: list[str], hinted: tuple[str, ...], *, corrected: bool
    ) -> Decision:
        if not matches:
            return Decision(plate, ll, "", 0.0, corrected)
        preferred = [m for m in matches if m in hinted]
        code = (preferred or matches)[0]
        share = 1.0 / len(preferred or matches)
        score = round(0.5 + 0.45 * share if preferred else 0.2 + 0.6 * share, 3)
        return Decision(plate, ll, code, score, corrected)
