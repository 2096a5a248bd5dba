"""Hints for a player stuck on a puzzle: one block worth moving, and how far.

Built only on the public solver and scorer, so a hint follows whatever rule
:func:`games.flanks.score_window` scores puzzles by (the window's flanks counted,
for the rows shown): the solver searches
from the player's own layout, and each block the search moved is tried alone
(pushing its neighbours, as the board does); the one that raises the score most
is the hint.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from games.flanks import Flanks, score_window
from games.puzzles import layout, move, positions, residues, solve
from games.scheme import ScoringScheme


@dataclass(frozen=True)
class Hint:
    row: int
    block: int  # index of the residue in its row, 0-based
    from_column: int
    to_column: int
    tail: bool  # move every block after it too
    gain: float  # the score change of this one move (may be 0 or less; see suggest)
    reaches: float  # the best score the search found from the player's layout


def _moves(current: list[list[int]], target: list[list[int]]) -> Iterator[tuple[int, int, int]]:
    for r, (cols, goal) in enumerate(zip(current, target, strict=True)):
        for k, (here, there) in enumerate(zip(cols, goal, strict=True)):
            if here != there:
                yield r, k, there - here


def suggest(
    rows: Sequence[str],
    scheme: ScoringScheme,
    *,
    time_limit: float = 0.3,
    evaluations: int = 20_000,
    seed: int = 0,
    flanks: Flanks | None = None,
) -> Hint | None:
    """The single block move towards a better layout that gains most, or None
    when the search finds nothing better than ``rows``.  When no single move
    gains on its own (the better layout needs two moves together), the hint is
    the least costly first step towards it."""
    rows = list(rows)
    width = len(rows[0])
    here = score_window(rows, scheme, flanks)
    found = solve(
        rows, scheme, time_limit=time_limit, max_evaluations=evaluations, seed=seed, flanks=flanks
    )
    if found.score <= here + 1e-9:
        return None
    current = [positions(row) for row in rows]
    target = [positions(row) for row in found.rows]
    best: Hint | None = None
    for r, k, delta in _moves(current, target):
        for tail in (False, True):
            moved = move(current[r], k, delta, width, tail=tail)
            if moved is None:
                continue
            trial = list(rows)
            trial[r] = layout(residues(rows[r]), moved, width)
            gain = score_window(trial, scheme, flanks) - here
            if best is None or gain > best.gain + 1e-9:
                best = Hint(r, k, current[r][k], current[r][k] + delta, tail, gain, found.score)
    return best
