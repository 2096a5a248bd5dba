"""Difficulty from data: moves from start to par, gain per move, the players' record."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from games.puzzles import layout, move, positions
from portal.play import calibration
from portal.play.calibration import calibrate, moves_needed, prior_share
from portal.play.models import Puzzle, Solution
from portal.play.puzzles import visible_puzzles


@st.composite
def two_layouts(draw):
    """One row's residues placed two ways on a board."""
    n = draw(st.integers(1, 8))
    width = n + draw(st.integers(0, 6))
    seq = "".join(draw(st.lists(st.sampled_from("ACGT"), min_size=n, max_size=n)))
    a = sorted(draw(st.permutations(range(width)))[:n])
    b = sorted(draw(st.permutations(range(width)))[:n])
    return layout(seq, a, width), layout(seq, b, width)


@given(st.lists(two_layouts(), min_size=1, max_size=4))
def test_moves_needed_is_the_number_of_tail_moves_that_rebuild_the_target(pairs):
    # The slow reference: slide blocks with their tails, left to right, with the
    # board's own move(), on a board wide enough never to block a move.
    counted = 0
    for before, after in pairs:
        cols, goal = positions(before), positions(after)
        margin = 2 * len(before)
        cols = [c + margin for c in cols]
        for k in range(len(cols)):
            delta = goal[k] + margin - cols[k]
            if delta:
                cols = move(cols, k, delta, len(before) + 2 * margin, tail=True)
                counted += 1
        assert [c - margin for c in cols] == goal
    assert moves_needed([p[0] for p in pairs], [p[1] for p in pairs]) == counted


@given(st.integers(1, 40), st.floats(0.01, 500), st.floats(0.01, 500))
def test_more_moves_or_smaller_gains_make_a_puzzle_harder(moves, gain, other):
    small, large = sorted((gain, other))
    assert 0 < prior_share(moves + 1, large, 1.0) <= prior_share(moves, large, 1.0) <= 1
    assert prior_share(moves, small, 1.0) <= prior_share(moves, large, 1.0)
    assert prior_share(0, large, 1.0) == 1.0


def _puzzle(start, par_layout, gain, pid=None):
    return Puzzle(
        id=pid,
        title="x",
        kind="dna",
        level="beginner",
        scheme={"match_score": 1.0, "mismatch_score": -1.0},
        names=[f"r{i}" for i in range(len(start))],
        sequences=[r.replace("-", "") for r in start],
        start=start,
        width=len(start[0]),
        start_score=0.0,
        par=gain,
        par_layout=par_layout,
        difficulty=1.0,
    )


def test_players_record_takes_over_from_the_solvers_estimate():
    hard = _puzzle(["ACGT--", "--ACGT"], ["-ACGT-", "-ACGT-"], 1.0)
    prior = calibrate(hard).share
    assert calibrate(hard).moves == 2
    assert calibrate(hard, players=100, reached=100).share > 0.95
    assert calibrate(hard, players=100, reached=0).share < 0.05
    # Four players count as much as the estimate.
    assert calibrate(hard, players=4, reached=4).share == (4 + 4 * prior) / 8
    assert calibrate(hard, players=100, reached=100).stars == 1
    assert calibrate(hard, players=100, reached=0).stars == 5


def test_puzzles_are_listed_easiest_first_by_the_players_record(session, research):
    easy = _puzzle(["AC-GT", "ACG-T"], ["ACGT-", "ACGT-"], 3.0)
    hard = _puzzle(["AC-GT", "ACG-T"], ["ACGT-", "ACGT-"], 3.0)
    session.add_all([easy, hard])
    session.flush()
    rng = random.Random(1)
    for n in range(6):
        for puzzle, reached in ((easy, True), (hard, False)):
            session.add(
                Solution(
                    puzzle_id=puzzle.id,
                    player_key=f"guest:{n}",
                    nickname=f"p{n}",
                    layout_hash=f"{rng.random()}",
                    rows=puzzle.start,
                    score=puzzle.par if reached else puzzle.par - 1,
                )
            )
    session.flush()
    records = calibration.player_records(session, [easy.id, hard.id])
    assert records == {easy.id: (6, 6), hard.id: (6, 0)}
    order = [p.id for p in visible_puzzles(session) if p.id in (easy.id, hard.id)]
    assert order == [easy.id, hard.id]
