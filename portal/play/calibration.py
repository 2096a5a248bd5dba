"""How hard a puzzle is, from data rather than from its size.

Three measures, all of them observed: how many moves the solver's par layout
is from the start (each move slides one block and, if needed, every block after
it), how much each of those moves gains (small gains are hard to notice), and,
once players have tried it, the share of them who reached par.  They combine
into the expected share of players who reach par: a prior from the solver's
measures, updated by the players' record as a beta-binomial mean.

Services take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from games.puzzles import positions
from portal.play.models import Puzzle, Solution

#: How many players the solver's prior counts for: with fewer real players
#: than this the prior still weighs more than their record.
PRIOR_PLAYERS = 4.0
#: A board this many moves from par is expected to be solved by half the players.
HALF_AT_MOVES = 4.0
#: Expected share of players reaching par where one more star begins (4/5 or
#: more reach it: one star; under 1/5: five stars).
STAR_SHARES = (0.8, 0.6, 0.4, 0.2)
_EPSILON = 1e-9


def moves_needed(start: Sequence[str], target: Sequence[str]) -> int:
    """The fewest board moves from ``start`` to ``target``, counting each
    change of offset along a row as one move of a block with its tail."""
    total = 0
    for before, after in zip(start, target, strict=True):
        offset = 0
        for here, there in zip(positions(before), positions(after), strict=True):
            if there - here != offset:
                total += 1
                offset = there - here
    return total


def match_unit(scheme: Mapping) -> float:
    """What one matching pair of letters scores in ``scheme`` (its parameters)."""
    matrix = scheme.get("matrix")
    if matrix:
        diagonal = [row[i] for i, row in enumerate(matrix)]
        return max(1.0, sum(diagonal) / len(diagonal))
    return max(1.0, float(scheme.get("match_score", 1.0)))


def prior_share(moves: int, gain: float, unit: float) -> float:
    """The share of players expected to reach par before anyone has played:
    half at HALF_AT_MOVES moves, less when the moves gain little each."""
    if moves == 0 or gain <= _EPSILON:
        return 1.0
    per_move = gain / moves / unit  # in matching letter pairs
    effort = moves * (1.0 + 1.0 / (1.0 + per_move))
    return 1.0 / (1.0 + effort / (2 * HALF_AT_MOVES))


@dataclass(frozen=True)
class Calibration:
    moves: int
    gain: float
    players: int
    reached: int
    share: float  # expected share of players who reach par

    @property
    def stars(self) -> int:
        return 1 + sum(self.share < step for step in STAR_SHARES)


def calibrate(puzzle: Puzzle, players: int = 0, reached: int = 0) -> Calibration:
    """``puzzle``'s difficulty from its solver measures and its players' record:
    ``players`` distinct players tried it, ``reached`` of them reached par."""
    moves = moves_needed(puzzle.start, puzzle.par_layout)
    gain = puzzle.par - puzzle.start_score
    prior = prior_share(moves, gain, match_unit(puzzle.scheme))
    share = (reached + PRIOR_PLAYERS * prior) / (players + PRIOR_PLAYERS)
    return Calibration(moves, gain, players, reached, share)


def player_records(session: Session, puzzle_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per puzzle: distinct players who tried it, and how many of them reached par.
    Flagged solutions (scripts) are left out."""
    if not puzzle_ids:
        return {}
    per_player = (
        select(
            Solution.puzzle_id,
            Solution.player_key,
            func.max(Solution.score).label("best"),
        )
        .where(Solution.puzzle_id.in_(puzzle_ids), Solution.flagged.is_(False))
        .group_by(Solution.puzzle_id, Solution.player_key)
        .subquery()
    )
    reached = func.sum(case((per_player.c.best >= Puzzle.par - _EPSILON, 1), else_=0))
    rows = session.execute(
        select(per_player.c.puzzle_id, func.count(), reached)
        .join(Puzzle, Puzzle.id == per_player.c.puzzle_id)
        .group_by(per_player.c.puzzle_id)
    )
    return {pid: (int(n), int(r or 0)) for pid, n, r in rows}
