"""Consensus of many solutions: the kept set, the votes, the layout, the credit."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from games.consensus import Played, agreement, build_consensus, consensus_layout, near_best
from games.puzzles import layout, residues
from games.scheme import ScoringScheme

DNA = ScoringScheme.puzzle_dna()


def test_near_best_keeps_the_front_within_the_margin():
    a = Played(["AC-GT", "ACGT-"], 10, "ann")
    b = Played(["A-CGT", "ACGT-"], 9, "bob")  # worse score, same gaps: dominated
    c = Played(["ACGT-", "ACGT-"], 9.5, "cy")  # fewer gaps: on the front
    d = Played(["ACGT-", "AC-GT"], 2, "dee")  # outside the margin
    kept = near_best([a, b, c, d], margin=1)
    assert [s.player for s in kept] == ["ann", "cy"]


def test_the_consensus_puts_residues_where_most_solutions_do():
    one = Played(["ACGT-", "A-CGT"], 0, "p1")
    two = Played(["ACGT-", "A-CGT"], 0, "p2")
    three = Played(["-ACGT", "A-CGT"], 0, "p3")
    assert consensus_layout([one, two, three], 5) == ["ACGT-", "A-CGT"]
    shares = agreement(["ACGT-", "A-CGT"], [one, two, three])
    assert shares[0] == (2 / 3 + 1) / 2
    assert shares[4] == 1.0


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6))
def test_the_consensus_keeps_every_residue_in_order(seed, n):
    rng = random.Random(seed)
    sequences = ["".join(rng.choice("ACGT") for _ in range(rng.randint(1, 6))) for _ in range(3)]
    width = 9
    solutions = []
    for p in range(n):
        rows = [layout(s, sorted(rng.sample(range(width), len(s))), width) for s in sequences]
        solutions.append(Played(rows, rng.choice([1.0, 2.0]), f"p{p}"))
    result = build_consensus(solutions, DNA)
    assert [residues(r) for r in result.rows] == sequences
    assert all(len(r) == width for r in result.rows)
    assert set(result.contributors) == {s.player for s in result.kept}
    assert len(result.agreement) == width
