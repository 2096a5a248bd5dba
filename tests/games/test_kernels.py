"""The fast kernels agree with the slow reference in naive.py, on hand-worked
examples and on random alignments, whichever kernel variant runs."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from games._kernels.substitution import sums_exactly
from games.encoding import encode_rows
from games.scheme import ScoringScheme
from games.scoring import _score_codes, score_alignment

from .naive import naive_score
from .strategies import scheme_and_rows, weights_for
from .support import assert_close, examples

PUZZLE = ScoringScheme.puzzle_dna()
BLASTP = ScoringScheme.preset("blastp")


def variants(scheme: ScoringScheme):
    """Every (gap kernel, substitution kernel) pair that can score ``scheme``."""
    gap_methods = ["directional"] + (["symmetric"] if scheme.symmetric_gaps else [])
    table_methods = ["ordered"]
    if scheme.matrix is None or all(
        scheme.matrix[a][b] == scheme.matrix[b][a]
        for a in range(len(scheme.matrix))
        for b in range(a)
    ):
        table_methods.append("symmetric")
    return [(g, t) for g in gap_methods for t in table_methods]


def all_kernel_scores(rows, scheme, weights=None):
    codes = encode_rows(rows, scheme)
    return {
        (g, t): _score_codes(codes, scheme, weights, gap_method=g, substitution_method=t)
        for g, t in variants(scheme)
    }


# -- the definition, worked by hand --------------------------------------------


@pytest.mark.parametrize(
    ("rows", "scheme", "expected", "why"),
    [
        (["ACGT", "ACGT"], PUZZLE, 4.0, "four matches"),
        (["ACGT", "AGGA"], PUZZLE, 0.0, "two matches, two mismatches"),
        (
            ["AC---T", "A-G-GT"],
            PUZZLE,
            2 - 4 - 4 - 1,
            "2 matches; C opposite a gap opens a deletion; G-G opposite gaps is ONE"
            " insertion (open + extend) because the both-gap column between them is dropped",
        ),
        (["--ACGT--", "TTACGTAA"], PUZZLE, 4.0, "end gaps are free in the puzzle scheme"),
        (
            ["--ACGT--", "TTACGTAA"],
            BLASTP,
            (4 + 9 + 6 + 5) + 2 * (-12 - 1),
            "blastp charges end gaps: A-A 4, C-C 9, G-G 6, T-T 5, and two gaps of length 2",
        ),
        (["ACG", "---"], BLASTP, -12 - 1 - 1, "an all-gap row makes one left end gap"),
        (["A", "A", "A"], PUZZLE, 3.0, "three pairs"),
        (
            ["A-", "-A", "AA"],
            PUZZLE,
            2.0,
            "rows 1 and 2 each match row 3 once; all gaps are end gaps",
        ),
        (["-", "-", "-"], BLASTP, 0.0, "pairs of gaps score nothing"),
    ],
)
def test_worked_examples(rows, scheme, expected, why):
    assert naive_score(rows, scheme) == expected, why
    assert score_alignment(rows, scheme) == expected, why
    for variant, value in all_kernel_scores(rows, scheme).items():
        assert value == expected, (variant, why)


def test_an_internal_gap_run_interrupted_only_by_shared_gaps_is_one_gap():
    scheme = ScoringScheme.create(
        match_score=0, mismatch_score=0, open_gap_score=-10, extend_gap_score=-1
    )
    # Row 1's gap run spans columns 2-6; row 2 has letters in 2, 4 and 6 only.
    rows = ["A-----C", "AC-G-TC"]
    assert score_alignment(rows, scheme) == -10 - 1 - 1
    # Once row 1 has a letter between them, they are separate gaps again.
    rows = ["A--G--C", "AC-G-TC"]
    assert score_alignment(rows, scheme) == -10 - 10


def test_left_and_right_end_gaps_are_told_apart_per_row():
    scheme = ScoringScheme.create(
        match_score=0,
        mismatch_score=0,
        open_left_insertion_score=-1,
        open_left_deletion_score=-1,
        open_right_insertion_score=-100,
        open_right_deletion_score=-100,
        open_internal_insertion_score=-10000,
        open_internal_deletion_score=-10000,
    )
    assert score_alignment(["-AC", "GAC"], scheme) == -1
    assert score_alignment(["AC-", "ACG"], scheme) == -100
    assert score_alignment(["A-C", "AGC"], scheme) == -10000


def test_insertions_are_gaps_in_the_earlier_row():
    scheme = ScoringScheme.create(
        match_score=0,
        mismatch_score=0,
        open_internal_insertion_score=-1,
        open_internal_deletion_score=-100,
    )
    assert score_alignment(["A-C", "AGC"], scheme) == -1
    assert score_alignment(["AGC", "A-C"], scheme) == -100


def test_weights_multiply_each_pair():
    rows = ["ACGT", "ACGT", "ACGA"]  # pair scores 4, 2, 2 under the puzzle scheme
    assert score_alignment(rows, PUZZLE, weights=[1, 1, 1]) == 8
    assert score_alignment(rows, PUZZLE, weights=[2, 1, 0.5]) == 2 * 4 + 1 * 2 + 0.5 * 2


def test_an_asymmetric_matrix_is_read_earlier_row_first():
    scheme = ScoringScheme(alphabet="AB", matrix=((0, 1), (10, 0)))
    assert score_alignment(["A", "B"], scheme) == 1
    assert score_alignment(["B", "A"], scheme) == 10
    assert score_alignment(["A", "B", "A"], scheme) == 1 + 0 + 10


# -- random alignments -------------------------------------------------------


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_kernel_matches_the_reference(data):
    scheme, rows = data.draw(scheme_and_rows())
    weights = data.draw(weights_for(len(rows)))
    expected = naive_score(rows, scheme, weights)
    for value in all_kernel_scores(rows, scheme, weights).values():
        assert_close(value, expected, rows, scheme, weights)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scheme_and_rows(integer=True))
def test_integer_schemes_score_exactly(case):
    scheme, rows = case
    expected = naive_score(rows, scheme)
    for variant, value in all_kernel_scores(rows, scheme).items():
        assert value == expected, variant


@pytest.mark.parametrize("n_rows", [63, 64, 65, 130])
def test_many_rows_cross_bitset_words(n_rows):
    # The directional kernel keeps one bit per row in 64-bit words; the row
    # counts straddle word boundaries.
    rng = random.Random(n_rows)
    rows = []
    for _ in range(n_rows):
        gap_rate = rng.choice([0.0, 0.1, 0.4, 0.9])
        rows.append(
            "".join("-" if rng.random() < gap_rate else rng.choice("ACGT") for _ in range(40))
        )
    scheme = ScoringScheme.create(
        match_score=2,
        mismatch_score=-1,
        open_internal_insertion_score=-5,
        open_internal_deletion_score=-3,
        extend_left_deletion_score=-0.5,
    )
    weights = [rng.uniform(0.5, 1.5) for _ in rows]
    for w in (None, weights):
        expected = naive_score(rows, scheme, w)
        for value in all_kernel_scores(rows, scheme, w).values():
            assert_close(value, expected, rows, scheme, w)


@settings(max_examples=examples(100), deadline=None)
@given(data=st.data())
def test_row_order_does_not_matter_when_scores_are_symmetric(data):
    scheme, rows = data.draw(scheme_and_rows(symmetric_gaps=True))
    assume(("directional", "symmetric") in variants(scheme))  # a symmetric matrix too
    shuffled = data.draw(st.permutations(rows))
    assert_close(score_alignment(shuffled, scheme), score_alignment(rows, scheme), rows, scheme)


@st.composite
def ragged_case(draw):
    """A scheme with equal insertion and deletion scores (the column sweep),
    rows of which many start or end with gaps, and a tile width that makes
    the kernel cross tile boundaries even on a small alignment."""
    scheme, rows = draw(scheme_and_rows(max_rows=30, max_columns=50, symmetric_gaps=True))
    n_columns = len(rows[0])
    ragged = []
    for row in rows:
        left = draw(st.integers(0, n_columns))
        right = draw(st.integers(0, n_columns - left))
        ragged.append("-" * left + row[left : n_columns - right] + "-" * right)
    tile = draw(st.sampled_from([1, 2, 3, 7, 16, 0]))
    return scheme, ragged, tile


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=ragged_case(), data=st.data())
def test_the_tiled_kernel_matches_the_reference_on_ragged_rows(case, data):
    scheme, rows, tile = case
    weights = data.draw(weights_for(len(rows)))
    expected = naive_score(rows, scheme, weights)
    codes = encode_rows(rows, scheme)
    for g, t in variants(scheme):
        value = _score_codes(
            codes, scheme, weights, gap_method=g, substitution_method=t, tile_columns=tile
        )
        assert_close(value, expected, rows, scheme, weights)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scheme_and_rows(integer=True, symmetric_gaps=True, max_rows=70, max_columns=30))
def test_the_tiled_kernel_is_exact_on_integer_schemes(case):
    # Up to 70 rows: more than one 64-row word, a partial 8-row word and a
    # partial set of four histogram lanes.
    scheme, rows = case
    expected = naive_score(rows, scheme)
    codes = encode_rows(rows, scheme)
    for tile in (1, 5, 0):
        for g, t in variants(scheme):
            value = _score_codes(
                codes, scheme, gap_method=g, substitution_method=t, tile_columns=tile
            )
            assert value == expected, (g, t, tile)


@pytest.mark.parametrize("n_rows", [112, 131])  # BLASTP has 28 codes, the gap's included
def test_columns_of_many_rows_per_code_are_summed_densely_and_exactly(n_rows):
    # From four rows per code of an integer matrix, the substitution pass sums
    # every pair of codes across a tile's columns instead of each column's
    # present codes: the score must stay the reference's, to the bit, with
    # columns holding every code, a few codes or none.
    rng = random.Random(n_rows)
    alphabet = "ARNDCQEGHILKMFPSTWYVBZX*"
    rows = []
    for _ in range(n_rows):
        gap_rate = rng.choice([0.0, 0.1, 0.5, 0.95])
        rows.append(
            "".join(
                "-" if rng.random() < gap_rate else rng.choice(alphabet[: rng.choice([1, 3, 24])])
                for _ in range(30)
            )
        )
    expected = naive_score(rows, BLASTP)
    for tile in (1, 7, 0):
        assert _score_codes(encode_rows(rows, BLASTP), BLASTP, tile_columns=tile) == expected


def test_the_dense_sum_is_taken_only_where_every_partial_sum_is_an_exact_integer():
    # Past 2**53 float64 rounds, and the dense and the column-by-column sums round
    # in different orders: their scores could differ in the last bits.
    blosum = np.full((28, 28), -4.0)
    np.fill_diagonal(blosum, 11.0)
    assert sums_exactly(blosum, 112, 1_000)
    assert sums_exactly(blosum, 100_000, 100_000)
    assert not sums_exactly(blosum * 1e6, 100_000, 100_000)
    assert not sums_exactly(blosum * 1000.0, 100_000, 1_800)
    halves = blosum.copy()
    halves[3, 4] = halves[4, 3] = 0.5
    assert not sums_exactly(halves, 112, 10)
