"""CTC over the plate alphabet: reduce the recognizer's 6625-way softmax to plate symbols, greedy and beam
decoding, and the log-likelihood of a given string (used to score format corrections)."""

from __future__ import annotations

import abc
import functools
import math
from dataclasses import dataclass

import numpy as np

from .base import RawReading, Reader

LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Province / special characters of Chinese plates, kept when the recognizer reads them.
CHINESE = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领警学挂港澳"
SEPARATOR = "-"  # stands for every separator the recognizer may see (space, dash, dot, middle dot)
SEPARATOR_SOURCES = " -.·•:"
BLANK = 0


@dataclass(frozen=True)
class Alphabet:
    """Plate symbols (index 0 is the CTC blank) and, for each, the recognizer columns summed into it."""

    symbols: str  # symbols[i] for i >= 1; symbols[0] is a placeholder for the blank
    columns: tuple[tuple[int, ...], ...]

    @classmethod
    def from_dictionary(cls, characters: list[str]) -> Alphabet:
        # Recognizer columns: 0 = blank, 1..n = dictionary lines, n+1 = space.
        index = {char: i + 1 for i, char in enumerate(characters)}
        index.setdefault(" ", len(characters) + 1)
        symbols, columns = ["∅"], [(0,)]
        for char in LATIN + CHINESE:
            variants = {char, char.lower()} | ({chr(ord(char) + 0xFEE0)} if char.isascii() else set())
            cols = tuple(sorted(index[v] for v in variants if v in index))
            if cols:
                symbols.append(char)
                columns.append(cols)
        symbols.append(SEPARATOR)
        columns.append(tuple(sorted(index[c] for c in SEPARATOR_SOURCES if c in index)))
        return cls(symbols="".join(symbols), columns=tuple(columns))

    @functools.cached_property
    def _gather(self) -> tuple[np.ndarray, np.ndarray]:
        """Every symbol's recognizer columns one after another, and where each symbol's run starts."""
        starts = np.cumsum([0] + [len(cols) for cols in self.columns[:-1]])
        return np.array([c for cols in self.columns for c in cols]), starts

    def reduce(self, probs: np.ndarray) -> np.ndarray:
        """(T, C) recognizer softmax -> (T, S) probabilities over plate symbols, renormalised per step."""
        columns, starts = self._gather
        reduced = np.add.reduceat(probs[:, columns], starts, axis=1)
        return reduced / np.maximum(reduced.sum(axis=1, keepdims=True), 1e-12)

    def text(self, labels: list[int]) -> str:
        return "".join(self.symbols[i] for i in labels)


def best_path(probs: np.ndarray) -> list[tuple[int, int, int]]:
    """The best path's runs: (label, first step, last step) of each label kept (repeats merged, blanks
    dropped)."""
    runs: list[tuple[int, int, int]] = []
    previous = BLANK
    for t, label in enumerate(probs.argmax(axis=1)):
        if label != BLANK and label == previous:
            runs[-1] = (runs[-1][0], runs[-1][1], t)
        elif label != BLANK:
            runs.append((int(label), t, t))
        previous = label
    return runs


def greedy(probs: np.ndarray) -> tuple[list[int], float]:
    """Best path: labels (repeats collapsed, blanks dropped) and the mean probability of kept steps."""
    runs = best_path(probs)
    confidences = [float(probs[first, label]) for label, first, _ in runs]
    return [label for label, _, _ in runs], (float(np.mean(confidences)) if confidences else 0.0)


def log_probabilities(probs: np.ndarray) -> np.ndarray:
    """Natural log of per-step probabilities, zeros clamped (an impossible step scores -69, not -inf)."""
    return np.log(np.maximum(probs, 1e-30))


def beam_search(probs: np.ndarray, width: int = 8, prune: float = 1e-3) -> list[tuple[list[int], float]]:
    """CTC prefix beam search: up to `width` label sequences with their log-probabilities, best first."""
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (1.0, 0.0)}  # prefix -> (p_blank, p_non_blank)
    for step in probs:
        candidates = np.nonzero(step >= prune)[0]
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (p_b, p_nb) in beams.items():
            for s in candidates:
                p = float(step[s])
                if s == BLANK:
                    entry = nxt.setdefault(prefix, [0.0, 0.0])
                    entry[0] += (p_b + p_nb) * p
                    continue
                extended = prefix + (int(s),)
                entry = nxt.setdefault(extended, [0.0, 0.0])
                if prefix and prefix[-1] == s:
                    entry[1] += p_b * p  # a repeat needs a blank between
                    same = nxt.setdefault(prefix, [0.0, 0.0])
                    same[1] += p_nb * p
                else:
                    entry[1] += (p_b + p_nb) * p
        ranked = sorted(nxt.items(), key=lambda kv: kv[1][0] + kv[1][1], reverse=True)[:width]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    out = [(list(k), math.log(max(v[0] + v[1], 1e-300))) for k, v in beams.items()]
    return sorted(out, key=lambda item: item[1], reverse=True)


def decode(emissions: np.ndarray, alphabet: Alphabet, beam_width: int) -> RawReading:
    """One crop's (T, S) emissions over `alphabet` -> greedy text, its confidence and beam alternatives."""
    labels, confidence = greedy(emissions)
    beams = tuple((alphabet.text(lab), score) for lab, score in beam_search(emissions, beam_width))
    return RawReading(emissions=emissions, text=alphabet.text(labels), confidence=confidence, beams=beams)


class CtcReader(Reader):
    """A CTC recognizer whose per-step softmax is reduced to the plate alphabet and decoded."""

    beam_width: int

    @abc.abstractmethod
    def probabilities(self, crops: list[np.ndarray]) -> np.ndarray:
        """(N, T, classes) softmax of the recognizer for a batch of RGB crops."""

    def read(self, crops: list[np.ndarray]) -> list[RawReading]:
        if not crops:
            return []
        probs = self.probabilities(crops)
        return [decode(self.alphabet.reduce(p), self.alphabet, self.beam_width) for p in probs]


def log_likelihood(emissions: np.ndarray, labels: list[int]) -> float:
    """CTC forward algorithm: log P(labels | emissions) for (T, S) per-step probabilities."""
    return float(log_likelihoods(log_probabilities(emissions), [labels])[0])


def log_likelihoods(log_emissions: np.ndarray, sequences: list[list[int]]) -> np.ndarray:
    """The CTC forward algorithm for many label sequences at once over one crop's (T, S) log-probabilities:
    log P(labels | emissions) for each. Shorter sequences are padded on the right, where nothing flows back."""
    lengths = np.array([len(labels) for labels in sequences], dtype=int)
    width = 2 * int(lengths.max(initial=0)) + 1
    ext = np.full((len(sequences), width), BLANK, dtype=int)
    for row, labels in enumerate(sequences):
        ext[row, 1 : 2 * len(labels) : 2] = labels
    skip = np.zeros(ext.shape, dtype=bool)  # a label may follow the previous label directly (no blank)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    alpha = np.full(ext.shape, -np.inf)
    alpha[:, :2] = log_emissions[0, ext[:, :2]]
    shifted1, shifted2 = np.full(ext.shape, -np.inf), np.full(ext.shape, -np.inf)
    for t in range(1, log_emissions.shape[0]):
        shifted1[:, 1:] = alpha[:, :-1]
        shifted2[:, 2:] = np.where(skip[:, 2:], alpha[:, :-2], -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, shifted1), shifted2) + log_emissions[t, ext]
    rows = np.arange(len(sequences))
    last = alpha[rows, 2 * lengths]
    before_last = np.where(lengths > 0, alpha[rows, np.maximum(2 * lengths - 1, 0)], -np.inf)
    return np.logaddexp(last, before_last)
