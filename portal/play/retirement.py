"""Retiring puzzles: once players agree on a best solution that is spliced in,
or once a puzzle has had enough solutions.

Services take a session and never commit.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.play.models import AlignmentSource, Puzzle, Solution

#: A puzzle whose spliced best score this many players reached is done: more
#: play would only find the same layout again.
RETIRE_CONSENSUS = 3
#: A puzzle with this many distinct solutions is retired whatever they scored
#: (the portal passes its PUZZLE_RETIRE_AFTER setting).
RETIRE_AFTER_SOLUTIONS = 200


def retire(puzzle: Puzzle, reason: str) -> None:
    if puzzle.retired_at is None:
        puzzle.active, puzzle.retired_at, puzzle.retired_reason = False, utcnow(), reason[:200]


def retire_if_exhausted(
    session: Session,
    puzzle: Puzzle,
    limit: int = RETIRE_AFTER_SOLUTIONS,
    *,
    solutions: int | None = None,
) -> bool:
    """Retires ``puzzle`` once it has ``limit`` distinct solutions
    (``solutions``, when the caller has just counted them)."""
    if puzzle.level == "tutorial" or puzzle.retired_at is not None:
        return False
    count = (
        solutions
        if solutions is not None
        else session.scalar(select(func.count(Solution.id)).where(Solution.puzzle_id == puzzle.id))
        or 0
    )
    if count >= limit:
        retire(puzzle, f"{count} solutions received")
        session.flush()
        return True
    return False


def retire_finished(
    session: Session,
    alignment: AlignmentSource,
    spliced: set[int],
    consensus: int = RETIRE_CONSENSUS,
    *,
    only: Puzzle | None = None,
) -> list[Puzzle]:
    """Retires the puzzles of ``alignment`` (or just ``only``) whose best
    solution is among ``spliced`` and whose best score ``consensus`` players
    have reached."""
    retired = []
    for puzzle in [only] if only is not None else alignment.puzzles:
        if puzzle.retired_at is not None:
            continue
        best = session.scalar(
            select(Solution)
            .where(Solution.puzzle_id == puzzle.id)
            .order_by(Solution.score.desc(), Solution.created_at, Solution.id)
            .limit(1)
        )
        if best is None or best.id not in spliced:
            continue
        players = (
            session.scalar(
                select(func.count(func.distinct(Solution.player_key))).where(
                    Solution.puzzle_id == puzzle.id, Solution.score >= best.score - 1e-9
                )
            )
            or 0
        )
        if players >= consensus:
            retire(puzzle, f"best score {best.score:g} spliced in and reached by {players} players")
            retired.append(puzzle)
    session.flush()
    return retired
