"""score_batch scores many same-shaped solutions exactly as score_alignment
scores each one."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from games.encoding import encode_batch
from games.scheme import ScoringScheme
from games.scoring import score_alignment, score_batch, warmup

from .naive import naive_score
from .strategies import letters_of, schemes
from .support import assert_close, examples

PUZZLE = ScoringScheme.puzzle_dna()
ROOT = Path(__file__).resolve().parents[2]


def random_solutions(rng: random.Random, count: int, n_rows: int, n_columns: int, letters: str):
    return [
        ["".join(rng.choice(letters + "--") for _ in range(n_columns)) for _ in range(n_rows)]
        for _ in range(count)
    ]


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scheme=schemes(),
    count=st.integers(0, 12),
    n_rows=st.integers(1, 10),
    n_columns=st.integers(1, 30),
    seed=st.integers(0, 2**32),
    weighted=st.booleans(),
)
def test_batch_equals_one_by_one(scheme, count, n_rows, n_columns, seed, weighted):
    rng = random.Random(seed)
    solutions = random_solutions(rng, count, n_rows, n_columns, letters_of(scheme))
    weights = [rng.uniform(0, 2) for _ in range(n_rows)] if weighted else None
    scores = score_batch(encode_batch(solutions, scheme), scheme, weights)
    assert scores.shape == (count,) and scores.dtype == np.float64
    for solution, value in zip(solutions, scores, strict=True):
        assert_close(value, score_alignment(solution, scheme, weights), solution, scheme, weights)
        assert_close(value, naive_score(solution, scheme, weights), solution, scheme, weights)


def test_a_server_sized_batch_of_puzzles():
    rng = random.Random(7)
    solutions = random_solutions(rng, 3000, 8, 25, "ACGT")
    codes = encode_batch(solutions, PUZZLE)
    assert codes.shape == (3000, 8, 25) and codes.dtype == np.uint8
    scores = score_batch(codes, PUZZLE)
    expected = [score_alignment(solution, PUZZLE) for solution in solutions[:300]]
    assert scores[:300].tolist() == expected  # integer scores: exact
    assert scores.tolist() == [score_alignment(s, PUZZLE) for s in solutions]


def test_results_do_not_depend_on_the_number_of_threads():
    rng = random.Random(3)
    codes = encode_batch(random_solutions(rng, 500, 6, 20, "ACGT"), PUZZLE)
    weights = [0.3, 1.7, 1.0, 2.5, 0.1, 0.9]  # non-integer sums: order would show
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = score_batch(codes, PUZZLE, weights)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(serial, score_batch(codes, PUZZLE, weights))


def test_an_empty_batch_scores_to_an_empty_array():
    assert encode_batch([], PUZZLE).shape == (0, 0, 0)
    assert score_batch(encode_batch([], PUZZLE), PUZZLE).shape == (0,)


def test_warmup_is_idempotent_and_keeps_results():
    warmup()
    warmup()
    assert score_batch(encode_batch([["AC", "AC"]], PUZZLE), PUZZLE).tolist() == [2.0]


@pytest.mark.parametrize("scheme", [PUZZLE, ScoringScheme.preset("blastn")])
def test_batch_accepts_views_of_larger_arrays(scheme):
    rng = random.Random(11)
    codes = encode_batch(random_solutions(rng, 20, 4, 10, "ACGT"), scheme)
    every_other = codes[::2]  # not contiguous
    assert score_batch(every_other, scheme).tolist() == score_batch(codes, scheme)[::2].tolist()


def test_a_process_warmed_up_without_the_parallel_kernel_can_fork_batch_workers():
    code = "\n".join(
        [
            "import os",
            "from games.encoding import encode_batch",
            "from games.scheme import ScoringScheme",
            "from games.scoring import score_batch, warmup",
            "scheme = ScoringScheme.puzzle_dna()",
            "codes = encode_batch([['ACGT', 'AC-T']] * 50, scheme)",
            "warmup(parallel=False)",
            "pid = os.fork()",
            "if pid == 0:",
            "    os._exit(0 if score_batch(codes, scheme).tolist() == [-1.0] * 50 else 3)",
            "_, status = os.waitpid(pid, 0)",
            "assert os.waitstatus_to_exitcode(status) == 0, status",
            "assert score_batch(codes, scheme).tolist() == [-1.0] * 50",
        ]
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
