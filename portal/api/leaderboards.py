"""/api/v1/leaderboard: the players with the most points."""

from __future__ import annotations

from typing import Any

from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.spec import operation
from portal.play.payload_cache import overall_leaderboard


@bp.get("/leaderboard")
@operation(
    "Overall leaderboard",
    "puzzles",
    query=schemas.LeaderboardQuery,
    responses={200: schemas.Leaderboard},
    description="Points summed over puzzles, each player's best solution of each.",
)
def leaderboard(query: schemas.LeaderboardQuery) -> dict[str, Any]:
    return {
        "period": query.period,
        "items": [
            {"rank": s.rank, "nickname": s.nickname, "points": s.value}
            for s in overall_leaderboard(query.period)
        ],
    }
