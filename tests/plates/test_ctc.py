"""CTC decoding and likelihood against brute force on small cases."""

import itertools
import math

import numpy as np

from plates.ctc import BLANK, beam_search, greedy, log_likelihood, log_likelihoods


def collapse(path):
    out, previous = [], None
    for label in path:
        if label != previous and label != BLANK:
            out.append(label)
        previous = label
    return out


def brute_force(emissions, labels):
    total = 0.0
    for path in itertools.product(range(emissions.shape[1]), repeat=emissions.shape[0]):
        if collapse(path) == labels:
            total += math.prod(emissions[t, s] for t, s in enumerate(path))
    return math.log(total)


def test_log_likelihood_matches_brute_force():
    rng = np.random.default_rng(1)
    emissions = rng.dirichlet(np.ones(3), size=5)
    for labels in ([1], [1, 2], [1, 1], [2, 1, 2]):
        assert math.isclose(log_likelihood(emissions, labels), brute_force(emissions, labels), rel_tol=1e-6)


def test_log_likelihoods_of_many_sequences_of_any_length_at_once():
    rng = np.random.default_rng(3)
    emissions = rng.dirichlet(np.ones(3), size=5)
    sequences = [[1, 2], [], [2, 1, 2], [1], [1, 1]]
    batched = log_likelihoods(np.log(emissions), sequences)
    assert math.isclose(batched[1], np.log(emissions[:, BLANK]).sum())
    for labels, value in zip(sequences, batched, strict=True):
        if labels:
            assert math.isclose(value, brute_force(emissions, labels), rel_tol=1e-6)


def test_greedy_collapses_repeats_and_blanks():
    emissions = np.array(
        [[0.1, 0.9, 0.0], [0.1, 0.9, 0.0], [0.9, 0.1, 0.0], [0.1, 0.9, 0.0], [0.2, 0.0, 0.8]]
    )
    labels, confidence = greedy(emissions)
    assert labels == [1, 1, 2]
    assert 0.8 <= confidence <= 0.9


def test_beam_search_ranks_by_probability_and_agrees_with_the_forward_pass():
    rng = np.random.default_rng(2)
    emissions = rng.dirichlet(np.ones(4) * 0.5, size=6)
    beams = beam_search(emissions, width=50, prune=0.0)
    scores = [score for _, score in beams]
    assert scores == sorted(scores, reverse=True)
    for labels, score in beams[:5]:
        assert math.isclose(score, log_likelihood(emissions, labels), rel_tol=1e-6)
