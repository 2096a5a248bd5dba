"""/api/v1 leaderboards, and the OpenAPI description of the puzzle operations that
portal.play.views serves (the play feature owns those views and their checks)."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.exceptions import HTTPException

from portal.api import schemas
from portal.api.errors import ApiError
from portal.api.spec import Operation, describe, operation
from portal.api.views import api_error, http_error
from portal.extensions import csrf
from portal.play import services
from portal.play.payload_cache import overall_leaderboard

bp = Blueprint("puzzle_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.register_error_handler(ApiError, api_error)
bp.register_error_handler(HTTPException, http_error)


def standings_json(standings: list[services.Standing]) -> list[dict]:
    return [{"rank": s.rank, "nickname": s.nickname, "points": s.value} for s in standings]


@bp.get("/leaderboard")
@operation(
    "Overall leaderboard",
    "puzzles",
    query=schemas.LeaderboardQuery,
    responses={200: schemas.Leaderboard},
    description="Points summed over puzzles, each player's best solution of each.",
)
def leaderboard(query: schemas.LeaderboardQuery):
    return {"period": query.period, "items": standings_json(overall_leaderboard(query.period))}


describe(
    "play_api.api_puzzles",
    Operation("List puzzles", "puzzles", responses={200: schemas.PuzzleList}),
)
describe(
    "play_api.get_puzzle",
    Operation(
        "Fetch a puzzle, with its leaderboard",
        "puzzles",
        responses={200: schemas.Puzzle},
        errors=(404,),
    ),
)
describe(
    "play_api.post_solution",
    Operation(
        "Submit a solution",
        "puzzles",
        scope="write",
        body=schemas.SolutionCreate,
        responses={200: schemas.SolutionResult, 201: schemas.SolutionResult},
        errors=(413,),
        description="The server rescores every solution. Guests send a nickname; a signed-in "
        "player's token (scope write) or session is used when present. 200 when the "
        "same layout was already submitted.",
        example={"rows": ["AC-GT", "ACGGT"], "nickname": "ada"},
    ),
)
