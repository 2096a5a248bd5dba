"""The consensus of many players' solutions of one puzzle.

As Borderlands Science does, every solution within a margin of the best is
kept, not only the best: :func:`near_best` keeps those whose score is within
``margin`` of the best and that no other kept solution beats on both score
and gap count (the Pareto front of score and gaps, a solution with fewer gap
columns being the simpler hypothesis).  Each kept solution then votes, for
every residue, for the board column it put it in (:func:`column_votes`);
:func:`consensus_layout` places each row's residues, in order, in the columns
with the most votes (a longest-path over increasing columns, exact per row);
:func:`agreement` is, per column of a layout, the share of kept solutions that
put each of its residues there, and :func:`vote_shares` each kept solution's
share of the votes a layout received (how players are credited for it).
:func:`build_consensus` does all of it and says which players' solutions voted.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from games.flanks import Flanks, score_window
from games.puzzles import GAP, layout, positions, residues
from games.scheme import ScoringScheme


@dataclass(frozen=True)
class Played:
    """One player's solution of a puzzle: its layout on the board and score."""

    rows: list[str]
    score: float
    player: Hashable = None

    @property
    def gaps(self) -> int:
        """Gap openings inside the rows: fewer is simpler."""
        total = 0
        for row in self.rows:
            core = row.strip(GAP)
            total += sum(1 for c in range(1, len(core)) if core[c] == GAP and core[c - 1] != GAP)
        return total


def near_best(solutions: Sequence[Played], margin: float) -> list[Played]:
    """Solutions within ``margin`` of the best score and on the Pareto front
    of (score, gaps), best first."""
    if not solutions:
        return []
    best = max(s.score for s in solutions)
    close = [s for s in solutions if s.score >= best - margin - 1e-9]
    # Counting gaps walks every row: once per solution, not once per comparison.
    gaps = [s.gaps for s in close]
    front = [
        (s, g)
        for s, g in zip(close, gaps, strict=True)
        if not any(
            o.score >= s.score - 1e-9 and og <= g and (o.score > s.score + 1e-9 or og < g)
            for o, og in zip(close, gaps, strict=True)
        )
    ]
    return [s for s, _ in sorted(front, key=lambda pair: (-pair[0].score, pair[1]))]


def column_votes(solutions: Sequence[Played], width: int) -> list[np.ndarray]:
    """Per row, a (residues x width) array: how many solutions put each residue in each column."""
    n_rows = len(solutions[0].rows)
    lengths = [len(residues(row)) for row in solutions[0].rows]
    votes = [np.zeros((lengths[r], width)) for r in range(n_rows)]
    for solution in solutions:
        for r, row in enumerate(solution.rows):
            for k, c in enumerate(positions(row)):
                votes[r][k, c] += 1
    return votes


def _best_increasing(votes: np.ndarray) -> list[int]:
    """Columns c_0 < c_1 < ... maximising the summed votes of residue k at c_k."""
    n, width = votes.shape
    if n == 0:
        return []
    value = np.full((n, width), -np.inf)
    choice = np.zeros((n, width), dtype=np.int64)  # best column of residue k-1 given k at c
    value[0] = votes[0]
    for k in range(1, n):
        # best of value[k - 1] over columns < c, as a running maximum
        running = -np.inf
        arg = -1
        for c in range(width):
            if c > 0 and value[k - 1, c - 1] > running:
                running = value[k - 1, c - 1]
                arg = c - 1
            if arg >= 0:
                value[k, c] = running + votes[k, c]
                choice[k, c] = arg
    cols = [int(np.argmax(value[n - 1]))]
    for k in range(n - 1, 0, -1):
        cols.append(int(choice[k, cols[-1]]))
    return cols[::-1]


def consensus_layout(solutions: Sequence[Played], width: int) -> list[str]:
    """The layout whose residues sit where most of ``solutions`` put them."""
    sequences = [residues(row) for row in solutions[0].rows]
    votes = column_votes(solutions, width)
    return [
        layout(sequence, _best_increasing(v), width)
        for sequence, v in zip(sequences, votes, strict=True)
    ]


def agreement(rows: Sequence[str], solutions: Sequence[Played]) -> list[float | None]:
    """Per column of ``rows``: the mean share of ``solutions`` that put each of
    the column's residues there (None for a column without residues)."""
    width = len(rows[0])
    votes = column_votes(solutions, width)
    out: list[float | None] = []
    for c in range(width):
        shares = []
        for r, row in enumerate(rows):
            if row[c] != GAP:
                k = len(residues(row[:c]))
                shares.append(votes[r][k, c] / len(solutions))
        out.append(float(np.mean(shares)) if shares else None)
    return out


def vote_shares(rows: Sequence[str], solutions: Sequence[Played]) -> list[float]:
    """Per solution, its share of the votes that the layout ``rows`` received:
    how many of ``rows``' residue placements it voted for, over the same
    count summed across ``solutions`` (equal shares if none voted for any)."""
    placed = [positions(row) for row in rows]
    counts = []
    for solution in solutions:
        counts.append(
            sum(
                sum(1 for a, b in zip(positions(mine), cols, strict=True) if a == b)
                for mine, cols in zip(solution.rows, placed, strict=True)
            )
        )
    total = sum(counts)
    if total == 0:
        return [1 / len(solutions)] * len(solutions) if solutions else []
    return [count / total for count in counts]


@dataclass
class Consensus:
    rows: list[str]  # the consensus layout
    score: float
    best: Played  # the best single solution
    kept: list[Played]  # the solutions that voted
    agreement: list[float | None]  # per column of ``rows``
    contributors: list[Hashable] = field(default_factory=list)

    @property
    def beats_best(self) -> bool:
        return self.score > self.best.score + 1e-9


def build_consensus(
    solutions: Sequence[Played],
    scheme: ScoringScheme,
    flanks: Flanks | None = None,
    *,
    margin: float | None = None,
) -> Consensus:
    """The consensus of the solutions within ``margin`` of the best (by
    default a tenth of the spread between the best and the worst, at least 1)."""
    if not solutions:
        raise ValueError("a consensus needs at least one solution")
    width = len(solutions[0].rows[0])
    scores = [s.score for s in solutions]
    if margin is None:
        margin = max(1.0, (max(scores) - min(scores)) / 10)
    kept = near_best(solutions, margin)
    rows = consensus_layout(kept, width)
    best = max(solutions, key=lambda s: s.score)
    contributors: list[Hashable] = []
    for solution in kept:
        if solution.player not in contributors:
            contributors.append(solution.player)
    return Consensus(
        rows=rows,
        score=score_window(rows, scheme, flanks),
        best=best,
        kept=kept,
        agreement=agreement(rows, kept),
        contributors=contributors,
    )
