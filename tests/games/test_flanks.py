"""Flank-aware puzzle scores: the fast kernel equals the column-by-column
definition, and a layout's change of puzzle score is exactly the change it
makes to the whole alignment's score over the puzzle's rows once spliced, and
to the whole alignment's score when the other rows are the puzzle's context."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from games.flanks import Flanks, cut_window, flanks_of, score_window
from games.puzzles import (
    layout,
    make_puzzle,
    positions,
    puzzle_params,
    score_layout,
    solve,
    source_from_rows,
    strip_common_gaps,
)
from games.scheme import ScoringScheme
from games.scoring import score_alignment
from games.splice import splice

from .naive import naive_window_score
from .strategies import scheme_and_rows
from .support import examples

DNA = ScoringScheme.puzzle_dna()


@st.composite
def windows(draw, **options):
    """A scheme (integer scores: sums are exact), an alignment, a window of
    it, some of its rows, and another layout of those rows' residues."""
    scheme, rows = draw(scheme_and_rows(max_rows=7, max_columns=30, integer=True, **options))
    width = len(rows[0])
    start = draw(st.integers(0, width - 1))
    end = draw(st.integers(start + 1, width))
    chosen = sorted(draw(st.sets(st.integers(0, len(rows) - 1), min_size=1)))
    board = strip_common_gaps([rows[i][start:end] for i in chosen]) if chosen else []
    extra = draw(st.integers(0, 3))
    board = [row + "-" * extra for row in board]
    assume(len(board[0]) > 0)
    rng = draw(st.randoms(use_true_random=False))
    relaid = []
    board_width = len(board[0])
    for row in board:
        letters = row.replace("-", "")
        relaid.append(
            layout(letters, sorted(rng.sample(range(board_width), len(letters))), board_width)
        )
    return scheme, rows, start, end, chosen, board, relaid


def _sub(rows, chosen):
    return [rows[i] for i in chosen]


def _score(rows, scheme):
    return score_alignment(rows, scheme) if rows[0] else 0.0  # a splice may leave no columns


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=windows())
def test_the_kernel_equals_the_column_by_column_definition(case):
    scheme, rows, start, end, chosen, board, relaid = case
    flanks = flanks_of(rows, start, end, chosen)
    for layout_rows in (board, relaid):
        assert score_window(layout_rows, scheme, flanks) == naive_window_score(
            layout_rows, scheme, flanks
        )


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=windows())
def test_puzzle_gains_are_whole_alignment_gains(case):
    scheme, rows, start, end, chosen, board, relaid = case
    flanks = flanks_of(rows, start, end, chosen)
    puzzle_delta = score_window(relaid, scheme, flanks) - score_window(board, scheme, flanks)
    spliced = splice(rows, start, end, chosen, relaid)
    whole_delta = _score(_sub(spliced, chosen), scheme) - _score(_sub(rows, chosen), scheme)
    assert puzzle_delta == whole_delta
    if len(chosen) == len(rows):  # the puzzle holds every row: the whole alignment's score
        assert puzzle_delta == _score(spliced, scheme) - _score(rows, scheme)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scheme_and_rows(max_rows=6, max_columns=20, integer=True))
def test_without_flanks_the_window_score_is_the_sum_of_pairs_score(case):
    scheme, rows = case
    assert score_window(rows, scheme, Flanks.none(len(rows))) == score_alignment(rows, scheme)
    assert score_window(rows, scheme) == score_alignment(rows, scheme)


def test_an_edge_gap_costs_what_it_costs_in_the_alignment():
    # Row 2's gap at the window's left edge continues into the flank: internal, not free.
    rows = ["ACGTACGTAC", "AC--ACGTAC"]
    flanks = flanks_of(rows, 3, 10, [0, 1])
    window = ["TACGTAC", "-ACGTAC"]
    assert flanks.left_has == (True, True)
    assert flanks.left_held == ((0, 0), (1, 0))  # the G opposite the gap in the flank
    plain = score_alignment(window, DNA)
    assert plain == 6  # the end gap is free in the cut-out window
    assert score_window(window, DNA, flanks) == 6 - 4 - 1  # open -4, one more column -1


def test_the_solver_gains_reach_the_alignment():
    rng = random.Random(4)
    rows = []
    for _ in range(5):
        cols = sorted(rng.sample(range(40), 30))
        rows.append(layout("".join(rng.choice("ACGT") for _ in range(30)), cols, 40))
    source = source_from_rows([f"s{i}" for i in range(5)], rows)
    gained = 0
    for start in range(0, 30, 5):
        puzzle = make_puzzle(source, start, start + 10, DNA, evaluations=3_000)
        if puzzle is None:
            continue
        assert puzzle.flanks is not None
        spliced = splice(rows, start, start + 10, puzzle.source_rows, puzzle.par_layout)
        gain = puzzle.par - puzzle.start_score
        assert gain == score_alignment(spliced, DNA) - score_alignment(rows, DNA)
        gained += gain > 0
        params = puzzle_params(DNA, puzzle.flanks)
        assert score_layout(puzzle.par_layout, params) == puzzle.par
        assert score_layout(puzzle.start, params) == puzzle.start_score
    assert gained


def test_solve_without_flanks_scores_as_before():
    rows = ["ACGT-ACGT", "A-CGTACGT"]
    solved = solve(rows, DNA, max_evaluations=500, time_limit=30)
    assert solved.score == score_alignment(solved.rows, DNA)
    assert [positions(r) for r in solved.rows]


@st.composite
def context_windows(draw):
    """A window cut with the other rows as context, and another layout of the
    chosen rows' residues (the board possibly narrower or wider)."""
    scheme, rows = draw(scheme_and_rows(max_rows=7, max_columns=30, integer=True))
    width = len(rows[0])
    start = draw(st.integers(0, width - 1))
    end = draw(st.integers(start + 1, width))
    chosen = sorted(draw(st.sets(st.integers(0, len(rows) - 1), min_size=1)))
    board, flanks = cut_window(rows, start, end, chosen)
    assume(len(board[0]) > 0)
    rng = draw(st.randoms(use_true_random=False))
    board_width = len(board[0]) + draw(st.integers(0, 3))
    board = [row.ljust(board_width, "-") for row in board]
    relaid = []
    for row in board:
        letters = row.replace("-", "")
        relaid.append(
            layout(letters, sorted(rng.sample(range(board_width), len(letters))), board_width)
        )
    return scheme, rows, start, end, chosen, board, relaid, flanks


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=context_windows())
def test_with_context_puzzle_gains_are_whole_alignment_gains(case):
    scheme, rows, start, end, chosen, board, relaid, flanks = case
    for layout_rows in (board, relaid):
        assert score_window(layout_rows, scheme, flanks) == naive_window_score(
            layout_rows, scheme, flanks
        )
    before = score_window(board, scheme, flanks)
    assert _score(splice(rows, start, end, chosen, board), scheme) == _score(rows, scheme)
    puzzle_delta = score_window(relaid, scheme, flanks) - before
    spliced = splice(rows, start, end, chosen, relaid)
    assert puzzle_delta == _score(spliced, scheme) - _score(rows, scheme)
    params = flanks.to_params()
    assert Flanks.from_params(params, len(chosen)) == flanks


def test_the_solver_gains_reach_the_alignment_with_rows_left_out():
    rng = random.Random(7)
    rows = []
    for _ in range(9):
        cols = sorted(rng.sample(range(40), 30))
        rows.append(layout("".join(rng.choice("ACGT") for _ in range(30)), cols, 40))
    source = source_from_rows([f"s{i}" for i in range(9)], rows)
    gained = 0
    for start in range(0, 30, 5):
        puzzle = make_puzzle(source, start, start + 10, DNA, rows=[1, 4, 6], evaluations=3_000)
        assert puzzle is not None and puzzle.flanks is not None
        assert len(puzzle.flanks.context) == 6
        spliced = splice(rows, start, start + 10, puzzle.source_rows, puzzle.par_layout)
        gain = puzzle.par - puzzle.start_score
        assert gain == score_alignment(spliced, DNA) - score_alignment(rows, DNA)
        gained += gain > 0
        params = puzzle_params(DNA, puzzle.flanks)
        assert score_layout(puzzle.par_layout, params) == puzzle.par
    assert gained
