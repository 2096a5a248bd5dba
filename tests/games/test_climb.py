"""The solver's kernels: pair scores sum to the alignment's score, the numba move is
the puzzle's move, and the fast solver takes the steps of a whole-alignment search."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from games import _climb
from games.encoding import compile_scheme, encode_rows
from games.flanks import Flanks
from games.puzzles import layout, move, solve
from games.scheme import ScoringScheme
from games.scoring import score_alignment

from .naive import naive_score
from .strategies import scheme_and_rows
from .support import assert_close, examples

DNA = ScoringScheme.puzzle_dna()

_spec = importlib.util.spec_from_file_location(
    "solver_benchmark", Path(__file__).resolve().parents[2] / "benchmarks" / "solver.py"
)
solver_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solver_benchmark)


def pair_total(rows, scheme):
    compiled = compile_scheme(scheme)
    codes = encode_rows(rows, scheme)
    pairs = np.zeros((len(rows), len(rows)))
    flanks = Flanks.none(len(rows))
    _climb.pair_scores(
        codes, flanks.ranks(), len(rows), compiled.table, compiled.gaps, *flanks.arrays(), pairs
    )
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
    # the obviously-correct search: every candidate rendered and scored whole
    slow_rows, slow_score, slow_evaluations = solver_benchmark.whole_layout_solve(
        rows, DNA, 600, seed=seed
    )
    assert (fast.rows, fast.score, fast.evaluations) == (slow_rows, slow_score, slow_evaluations)
