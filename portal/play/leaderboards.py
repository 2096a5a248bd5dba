"""Leaderboards from the server's scores, per puzzle and overall, by period;
a player's history and best score. Flagged solutions are ranked nowhere.

Services take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import ServiceError
from portal.play.models import Puzzle, Solution

PERIODS = {"today": timedelta(days=1), "week": timedelta(days=7), "all": None}


def _since(period: str) -> datetime | None:
    if period not in PERIODS:
        raise ServiceError(f"period is one of {', '.join(PERIODS)}", field="period")
    span = PERIODS[period]
    return utcnow() - span if span else None


@dataclass(frozen=True)
class Standing:
    rank: int
    nickname: str
    value: float
    solved_at: datetime | None = None


def puzzle_leaderboard(
    session: Session, puzzle: Puzzle, period: str = "all", limit: int = 20
) -> list[Standing]:
    """Each player's best score on ``puzzle``, best first; ties go to whoever
    reached the score first."""
    since = _since(period)
    filters = [Solution.puzzle_id == puzzle.id, Solution.flagged.is_(False)]
    if since is not None:
        filters.append(Solution.created_at >= since)
    best = (
        select(Solution.player_key, func.max(Solution.score).label("best"))
        .where(*filters)
        .group_by(Solution.player_key)
        .subquery()
    )
    statement = (
        select(
            Solution.player_key,
            func.max(Solution.nickname),
            best.c.best,
            func.min(Solution.created_at),
        )
        .join(best, (best.c.player_key == Solution.player_key) & (best.c.best == Solution.score))
        .where(*filters)
        .group_by(Solution.player_key, best.c.best)
        .order_by(best.c.best.desc(), func.min(Solution.created_at), Solution.player_key)
        .limit(limit)
    )
    return [
        Standing(rank, nickname, float(score), when)
        for rank, (_key, nickname, score, when) in enumerate(session.execute(statement), 1)
    ]


def overall_leaderboard(session: Session, period: str = "all", limit: int = 20) -> list[Standing]:
    """Points summed over puzzles, counting each player's best solution of each."""
    since = _since(period)
    filters = [Solution.points > 0, Solution.flagged.is_(False)]
    if since is not None:
        filters.append(Solution.created_at >= since)
    per_puzzle = (
        select(
            Solution.player_key,
            Solution.puzzle_id,
            func.max(Solution.points).label("points"),
            func.max(Solution.nickname).label("nickname"),
        )
        .where(*filters)
        .group_by(Solution.player_key, Solution.puzzle_id)
        .subquery()
    )
    statement = (
        select(
            per_puzzle.c.player_key,
            func.max(per_puzzle.c.nickname),
            func.sum(per_puzzle.c.points).label("total"),
        )
        .group_by(per_puzzle.c.player_key)
        .order_by(func.sum(per_puzzle.c.points).desc(), per_puzzle.c.player_key)
        .limit(limit)
    )
    return [
        Standing(rank, nickname, float(total))
        for rank, (_key, nickname, total) in enumerate(session.execute(statement), 1)
    ]


def history(session: Session, user_id: int, limit: int = 200) -> list[Solution]:
    return list(
        session.scalars(
            select(Solution)
            .where(Solution.user_id == user_id)
            .order_by(Solution.created_at.desc(), Solution.id.desc())
            .limit(limit)
        )
    )


def best_score(session: Session, puzzle: Puzzle, player_key: str) -> float | None:
    return session.scalar(
        select(func.max(Solution.score)).where(
            Solution.puzzle_id == puzzle.id, Solution.player_key == player_key
        )
    )


def player_points(session: Session, player_key: str) -> tuple[int, int]:
    """A player's points (their best solution of each puzzle) and the puzzles they scored on."""
    per_puzzle = (
        select(func.max(Solution.points).label("points"))
        .where(
            Solution.player_key == player_key,
            Solution.points > 0,
            Solution.flagged.is_(False),
        )
        .group_by(Solution.puzzle_id)
        .subquery()
    )
    total, puzzles = session.execute(
        select(func.coalesce(func.sum(per_puzzle.c.points), 0), func.count())
    ).one()
    return int(total), int(puzzles)
