"""The numpy path for small alignments (games/_small.py) agrees with the slow
reference and with the numba kernels it stands in for."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from games import _kernels, _small
from games.encoding import compile_scheme, encode_rows
from games.scheme import ScoringScheme

from .naive import naive_score
from .strategies import scheme_and_rows, weights_for
from .support import assert_close, to_alignment

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def small_score(rows, scheme, weights=None):
    compiled = compile_scheme(scheme)
    codes = encode_rows(rows, scheme)
    values = np.ones(len(rows)) if weights is None else np.array(weights, dtype=np.float64)
    return _small.score_codes(codes, compiled.table, values, compiled.gaps)


@SETTINGS
@given(data=st.data())
def test_small_scores_match_the_reference(data):
    scheme, rows = data.draw(scheme_and_rows(max_rows=12))
    weights = data.draw(weights_for(len(rows)))
    assert_close(
        small_score(rows, scheme, weights),
        naive_score(rows, scheme, weights),
        rows,
        scheme,
        weights,
    )


@SETTINGS
@given(case=scheme_and_rows(integer=True, max_rows=12))
def test_integer_schemes_score_exactly(case):
    scheme, rows = case
    assert small_score(rows, scheme) == naive_score(rows, scheme)


def test_one_row_scores_zero():
    assert small_score(["AC-G"], ScoringScheme.puzzle_dna()) == 0.0


@SETTINGS
@given(
    coordinates=st.integers(1, 6).flatmap(
        lambda rows: st.integers(1, 8).flatmap(
            lambda points: arrays(np.int64, (rows, points), elements=st.integers(0, 6))
        )
    )
)
def test_layout_matches_the_kernel_on_any_coordinates(coordinates):
    """Uneven steps and rows that go both ways included: both report the same."""
    expected = (np.zeros(coordinates.shape[1] - 1, np.int64), np.zeros(len(coordinates), np.int64))
    found = (np.zeros_like(expected[0]), np.zeros_like(expected[1]))
    assert _small.alignment_layout(coordinates, *found) == _kernels.alignment_layout(
        coordinates, *expected
    )
    assert np.array_equal(found[0], expected[0]) and np.array_equal(found[1], expected[1])


@SETTINGS
@given(case=scheme_and_rows(max_rows=8))
def test_filled_rows_match_the_kernel(case):
    scheme, rows = case
    alignment = to_alignment(rows)
    coordinates = np.ascontiguousarray(alignment.coordinates, dtype=np.int64)
    widths = np.zeros(coordinates.shape[1] - 1, np.int64)
    _kernels.alignment_layout(coordinates, widths, np.zeros(len(rows), np.int64))
    pieces = [row.replace("-", "").encode("latin-1") for row in rows]
    letters = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in pieces])]).astype(np.int64)
    found = np.zeros((len(rows), int(widths.sum())), np.uint8)
    expected = np.zeros_like(found)
    _small.fill_rows(coordinates, widths, letters, offsets, np.uint8(ord("-")), found)
    _kernels.fill_rows(coordinates, widths, letters, offsets, np.uint8(ord("-")), expected)
    assert np.array_equal(found, expected)


@pytest.mark.parametrize(("n_rows", "n_cols", "small"), [(7, 246, True), (200, 2000, False)])
def test_only_small_alignments_take_the_numpy_path_before_the_kernels_load(
    n_rows, n_cols, small, monkeypatch
):
    monkeypatch.delitem(__import__("sys").modules, "games._kernels")
    assert _small.use_small(n_rows, n_cols) is small
    monkeypatch.undo()
    assert _small.use_small(n_rows, n_cols) is False
