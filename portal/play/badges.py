"""Badges for players with accounts: decided on the server when a solution is
accepted (or spliced into a research alignment), stored once per user and badge.

Services here take a session and never commit.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.play.models import Badge, Puzzle, Solution

#: code -> (title, what earns it).  Codes are stored; titles may change.
BADGES: dict[str, tuple[str, str]] = {
    "first_solve": ("First solve", "Reached par on a puzzle for the first time."),
    "beat_par": ("Beat par", "Scored above the computer's par."),
    "ten_puzzles": ("Ten puzzles", "Reached par on 10 different puzzles."),
    "streak_3": ("Three-day streak", "Reached par on three days in a row."),
    "first_to_beat_par": ("Pioneer", "The first player to beat par on a puzzle."),
    "contributor": (
        "Research contributor",
        "A solution of yours was spliced into a research alignment.",
    ),
}
STREAK_DAYS = 3
MANY_PUZZLES = 10
_EPSILON = 1e-9


def title(code: str) -> str:
    return BADGES.get(code, (code, ""))[0]


def award(session: Session, user_id: int, code: str, puzzle_id: int | None = None) -> bool:
    """Stores badge ``code`` for the user unless they have it; True if new.
    The unique constraint settles two requests racing for the same badge."""
    if code not in BADGES:
        raise ValueError(f"unknown badge {code!r}")
    has = session.scalar(select(Badge.id).where(Badge.user_id == user_id, Badge.badge == code))
    if has is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Badge(user_id=user_id, badge=code, puzzle_id=puzzle_id))
    except IntegrityError:
        return False
    return True


def _solved_days(session: Session, user_id: int) -> set[date]:
    stamps = session.scalars(
        select(Solution.created_at)
        .join(Puzzle)
        .where(Solution.user_id == user_id, Solution.score >= Puzzle.par - _EPSILON)
    )
    return {stamp.date() for stamp in stamps}


def has_streak(days: set[date], today: date, length: int = STREAK_DAYS) -> bool:
    return all(today - timedelta(days=back) in days for back in range(length))


def after_solution(session: Session, solution: Solution, puzzle: Puzzle) -> list[str]:
    """The badges ``solution`` (already flushed) newly earns its user."""
    user_id = solution.user_id
    if user_id is None or solution.score < puzzle.par - _EPSILON:
        return []
    earned = []

    def give(code: str, puzzle_id: int | None = None) -> None:
        if award(session, user_id, code, puzzle_id):
            earned.append(code)

    give("first_solve", puzzle.id)
    if solution.score > puzzle.par + _EPSILON:
        give("beat_par", puzzle.id)
        earlier = session.scalar(
            select(func.count(Solution.id)).where(
                Solution.puzzle_id == puzzle.id,
                Solution.id != solution.id,
                Solution.score > puzzle.par + _EPSILON,
                Solution.created_at <= solution.created_at,
            )
        )
        if not earlier:
            give("first_to_beat_par", puzzle.id)
    solved = (
        session.scalar(
            select(func.count(func.distinct(Solution.puzzle_id)))
            .join(Puzzle)
            .where(Solution.user_id == user_id, Solution.score >= Puzzle.par - _EPSILON)
        )
        or 0
    )
    if solved >= MANY_PUZZLES:
        give("ten_puzzles")
    if has_streak(_solved_days(session, user_id), solution.created_at.date()):
        give("streak_3")
    return earned


def of_user(session: Session, user_id: int) -> list[Badge]:
    return list(
        session.scalars(
            select(Badge).where(Badge.user_id == user_id).order_by(Badge.awarded_at, Badge.id)
        )
    )
