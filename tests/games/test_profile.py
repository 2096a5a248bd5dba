"""Scoring a moved row against the context rows' column tables gives exactly the
number that scoring it against each context row does, and so the same moves and
the same par."""

from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from games import _climb, _profile, puzzles
from games.flanks import cut_window
from games.puzzles import _Board, layout, solve

from .strategies import scheme_and_rows
from .support import examples


@st.composite
def context_boards(draw):
    """A window cut with the other rows as fixed context (the rows interleaved in
    the alignment's order), a relaid board, and a power-of-two scale of the
    scheme's integer scores (halves, quarters: still exact)."""
    scheme, rows = draw(scheme_and_rows(max_rows=9, max_columns=30, integer=True))
    width = len(rows[0])
    start = draw(st.integers(0, width - 1))
    end = draw(st.integers(start + 1, width))
    chosen = sorted(draw(st.sets(st.integers(0, len(rows) - 1), min_size=1)))
    board, flanks = cut_window(rows, start, end, chosen)
    assume(len(board[0]) > 0 and flanks.context)
    rng = draw(st.randoms(use_true_random=False))
    board_width = len(board[0]) + draw(st.integers(0, 3))
    relaid = []
    for row in board:
        letters = row.replace("-", "")
        relaid.append(
            layout(letters, sorted(rng.sample(range(board_width), len(letters))), board_width)
        )
    scale = draw(st.sampled_from([1.0, 0.5, 0.25, 0.125, 4.0]))
    return scheme, relaid, flanks, scale, rng


def scaled_board(scheme, rows, flanks, scale):
    board = _Board(rows, scheme, flanks)
    if scale != 1.0:
        board.table = board.table * scale
        board.gaps = board.gaps * scale
        _climb.pair_scores(
            board.codes,
            board.rank,
            board.movable,
            board.table,
            board.gaps,
            *board.flanks,
            board.pairs,
        )
        board.profile = puzzles._fixed_profile(board, len(board.codes))
    return board


def row_by_row(board, cols, r):
    """The obviously-correct sum: the moved row against each context row in turn."""
    trial = np.zeros(board.width, dtype=np.uint8)
    n = int(board.lengths[r])
    trial[cols] = board.letters[r, :n]
    total = 0.0
    for f in range(board.movable, len(board.codes)):
        total += _climb.ordered_score(
            trial, board.codes[f], r, f, board.rank, board.table, board.gaps, *board.flanks
        )
    return total


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=context_boards())
def test_the_context_tables_score_exactly_as_row_by_row(case):
    scheme, rows, flanks, scale, rng = case
    board = scaled_board(scheme, rows, flanks, scale)
    profiled, *tables = board.profile
    assert profiled
    left_has, right_has = board.flanks[0], board.flanks[1]
    for r in range(board.movable):
        n = int(board.lengths[r])
        for _ in range(4):
            cols = np.array(sorted(rng.sample(range(board.width), n)), dtype=np.int64)
            fast = _profile.fixed_score(
                cols, board.letters[r], n, r, left_has[r], right_has[r], board.gaps, *tables
            )
            assert fast == row_by_row(board, cols, r)


def best_moves(board, profile):
    deltas = np.array((-3, -2, -1, 1, 2, 3), dtype=np.int64)
    return _climb.best_move(
        board.codes,
        board.letters,
        board.lengths,
        board.cols,
        board.pairs,
        board.table,
        board.gaps,
        deltas,
        board.trial_cols,
        board.trial_row,
        *board.flanks,
        board.rank,
        board.movable,
        *profile,
    )


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=context_boards())
def test_the_best_move_is_the_same_with_the_context_tables(case):
    scheme, rows, flanks, scale, _rng = case
    board = scaled_board(scheme, rows, flanks, scale)
    without = (False, *(np.zeros((0,) * t.ndim, dtype=t.dtype) for t in board.profile[1:]))
    assert best_moves(board, board.profile) == best_moves(board, without)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=context_boards(), seed=st.integers(0, 1000))
def test_the_solver_finds_the_same_par_with_the_context_tables(case, seed):
    scheme, rows, flanks, _scale, _rng = case
    fast = solve(rows, scheme, flanks=flanks, time_limit=60, max_evaluations=1500, seed=seed)
    with mock.patch.object(puzzles._profile, "exact_scale", return_value=False):
        slow = solve(rows, scheme, flanks=flanks, time_limit=60, max_evaluations=1500, seed=seed)
    assert fast == slow


def test_scores_that_would_round_are_scored_row_by_row():
    table = np.zeros((3, 3))
    gaps = np.full((2, 3, 2), -1.0)
    assert _profile.exact_scale(table, gaps, 40, 60, 100)
    assert not _profile.exact_scale(table + 0.1, gaps, 40, 60, 100)
    assert _profile.exact_scale(table + 0.375, gaps, 40, 60, 100)
    assert not _profile.exact_scale(table + 2.0**40, gaps, 40, 60, 100)
