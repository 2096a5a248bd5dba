"""The solver's kernels: pair scores sum to the alignment's score, the numba move is
the puzzle's move, and the fast solver takes the steps of a whole-alignment search."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from games import _climb
from games.encoding import compile_scheme, encode_rows
from games.puzzles import layout, move, positions, residues, solve
from games.scheme import ScoringScheme
from games.scoring import score_alignment

from .naive import naive_score
from .strategies import scheme_and_rows
from .support import assert_close, examples

DNA = ScoringScheme.puzzle_dna()


def pair_total(rows, scheme):
    compiled = compile_scheme(scheme)
    codes = encode_rows(rows, scheme)
    pairs = np.zeros((len(rows), len(rows)))
    _climb.pair_scores(codes, compiled.table, compiled.gaps, pairs)
    assert np.array_equal(pairs, pairs.T)
    return float(np.triu(pairs, 1).sum())


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scheme_and_rows())
def test_pair_scores_sum_to_the_sum_of_pairs_score(case):
    # Any scheme: asymmetric matrices, insertion and deletion scored apart, all-gap rows.
    scheme, rows = case
    assert_close(pair_total(rows, scheme), naive_score(rows, scheme), rows, scheme, None)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scheme_and_rows(integer=True))
def test_integer_schemes_sum_exactly(case):
    scheme, rows = case
    assert pair_total(rows, scheme) == score_alignment(rows, scheme)


@settings(max_examples=examples(300), deadline=None)
@given(
    length=st.integers(1, 12),
    extra=st.integers(0, 6),
    k=st.integers(0, 11),
    delta=st.sampled_from([-3, -2, -1, 1, 2, 3]),
    tail=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_the_kernel_move_is_the_puzzle_move(length, extra, k, delta, tail, seed):
    k = k % length
    width = length + extra
    cols = sorted(random.Random(seed).sample(range(width), length))
    out = np.zeros(length, dtype=np.int64)
    fits = _climb.moved(np.array(cols, dtype=np.int64), length, k, delta, tail, width, out)
    expected = move(cols, k, delta, width, tail=tail)
    assert fits == (expected is not None)
    if expected is not None:
        assert out.tolist() == expected


def whole_alignment_solve(rows, scheme, max_evaluations, seed=0):
    """The obviously-correct solver: every candidate rendered and scored whole."""
    width = len(rows[0])
    sequences = [residues(r) for r in rows]
    rng = random.Random(seed)
    current = [positions(r) for r in rows]
    current_score = score_alignment(rows, scheme)
    best, best_score = [list(c) for c in current], current_score
    evaluations = 0
    deltas = (-3, -2, -1, 1, 2, 3)

    def render(cols):
        return [layout(s, c, width) for s, c in zip(sequences, cols, strict=True)]

    while evaluations < max_evaluations:
        candidates = [
            (r, new)
            for r, row_cols in enumerate(current)
            for k in range(len(row_cols))
            for delta in deltas
            for tail in (False, True)
            if (new := move(row_cols, k, delta, width, tail=tail)) is not None
        ]
        if not candidates:
            break
        scores = []
        for r, new in candidates:
            trial = list(current)
            trial[r] = new
            scores.append(score_alignment(render(trial), scheme))
        evaluations += len(candidates)
        top = int(np.argmax(scores))
        if scores[top] > current_score + 1e-9:
            r, new = candidates[top]
            current = list(current)
            current[r] = new
            current_score = scores[top]
            if current_score > best_score + 1e-9:
                best, best_score = [list(c) for c in current], current_score
            continue
        current = [list(c) for c in best]
        for _ in range(rng.randint(1, 3)):
            r = rng.randrange(len(current))
            k = rng.randrange(len(current[r]))
            moved = move(current[r], k, rng.choice(deltas), width, tail=rng.random() < 0.5)
            if moved is not None:
                current[r] = moved
        current_score = score_alignment(render(current), scheme)
        evaluations += 1
    return render(best), best_score, evaluations


@settings(max_examples=examples(25), deadline=None)
@given(seed=st.integers(0, 10_000), n_rows=st.integers(2, 5), length=st.integers(3, 9))
def test_the_solver_takes_the_steps_of_the_whole_alignment_search(seed, n_rows, length):
    rng = random.Random(seed)
    rows = []
    width = length + 4
    for _ in range(n_rows):
        cols = sorted(rng.sample(range(width), length))
        rows.append(layout("".join(rng.choice("ACGT") for _ in range(length)), cols, width))
    fast = solve(rows, DNA, time_limit=60, max_evaluations=600, seed=seed)
    slow_rows, slow_score, slow_evaluations = whole_alignment_solve(rows, DNA, 600, seed=seed)
    assert (fast.rows, fast.score, fast.evaluations) == (slow_rows, slow_score, slow_evaluations)
