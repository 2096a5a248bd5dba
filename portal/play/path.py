"""Where a player goes next: the first-run path (the tutorial, then three easy
real puzzles, then harder ones, easiest first by calibrated difficulty) and
the daily puzzle, the same for everyone on a UTC day.

Services take a session and never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.play.models import Puzzle, Solution
from portal.play.puzzles import PuzzleSummary

#: Real puzzles a new player is offered before the harder ones.
EASY_STEPS = 3
_EPSILON = 1e-9


@dataclass(frozen=True)
class Step:
    label: str
    puzzle: PuzzleSummary
    done: bool


def solved_by(session: Session, player_key: str | None) -> set[int]:
    """The puzzles where ``player_key`` reached par."""
    if player_key is None:
        return set()
    return set(
        session.scalars(
            select(Solution.puzzle_id)
            .join(Puzzle)
            .where(Solution.player_key == player_key)
            .group_by(Solution.puzzle_id, Puzzle.par)
            .having(func.max(Solution.score) >= Puzzle.par - _EPSILON)
        )
    )


def first_run(summaries: Sequence[PuzzleSummary], solved: set[int]) -> list[Step]:
    """The tutorial and the three easiest real puzzles, in order
    (``summaries`` come easiest first, as puzzles.visible_puzzles gives them)."""
    steps = [Step("Learn", p, p.id in solved) for p in summaries if p.level == "tutorial"][:1]
    real = [p for p in summaries if p.level != "tutorial"]
    steps += [
        Step(f"Easy {n}", p, p.id in solved) for n, p in enumerate(real[:EASY_STEPS], start=1)
    ]
    return steps


def next_puzzle(
    summaries: Sequence[PuzzleSummary], solved: set[int], after: int | None = None
) -> PuzzleSummary | None:
    """The first puzzle on the path the player has not solved (the first-run
    steps, then the harder ones, easiest first), other than ``after``."""
    ordered = [step.puzzle for step in first_run(summaries, solved)]
    ordered += [p for p in summaries if p not in ordered]
    for p in ordered:
        if p.id not in solved and p.id != after:
            return p
    return None


def daily_puzzle(session: Session, day: date) -> int | None:
    """The id of the day's puzzle, the same for every process and player all
    UTC day: a hash of the date over the real puzzles published before the day
    began and not retired by then, in the order of their ids, so puzzles cut or
    retired during the day do not change it.  On a portal whose first puzzles
    were cut today, the first of them (by id) is the day's puzzle."""
    began = datetime.combine(day, time.min, tzinfo=UTC)
    real = select(Puzzle.id).where(Puzzle.level != "tutorial")
    candidates = list(
        session.scalars(
            real.where(
                Puzzle.created_at < began,
                or_(
                    Puzzle.retired_at.is_(None) & Puzzle.active.is_(True),
                    Puzzle.retired_at >= began,
                ),
            ).order_by(Puzzle.id)
        )
    )
    if not candidates:
        return session.scalar(real.where(Puzzle.created_at >= began).order_by(Puzzle.id).limit(1))
    digest = hashlib.sha256(f"daily puzzle {day.isoformat()}".encode()).digest()
    return candidates[int.from_bytes(digest[:8], "big") % len(candidates)]
