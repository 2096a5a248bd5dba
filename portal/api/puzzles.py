"""/api/v1/puzzles: the alignment puzzles, and players' solutions to them."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for

from portal import db
from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.spec import operation
from portal.errors import ServiceError, TooLarge
from portal.extensions import limiter
from portal.play import hints, leaderboards, players, puzzles, submissions
from portal.play.payload_cache import note_solution, payloads, visible_puzzles


def calibrated_fields(stars: int, share: float, board_size: float) -> dict[str, Any]:
    """Difficulty as players see it, calibrated from data (portal/play/calibration.py):
    1 to 5 stars, which scale points and hint costs, and the share of players
    expected to reach par. The number puzzles once reported as their difficulty,
    from the board's size alone, stays under its own name for clients that read it."""
    return {
        "difficulty": stars,
        "stars": stars,
        "expected_share": round(share, 3),
        "board_size_difficulty": board_size,
    }


@bp.get("/puzzles")
@operation("List puzzles", "puzzles", responses={200: schemas.PuzzleList})
def list_puzzles() -> dict[str, Any]:
    return {
        "items": [
            {
                "id": p.id,
                "title": p.title,
                "kind": p.kind,
                "level": p.level,
                "par": p.par,
                **calibrated_fields(p.stars, p.share, p.difficulty),
                "url": url_for("api.get_puzzle", puzzle_id=p.id, _external=True),
            }
            for p in visible_puzzles()
        ]
    }


@bp.get("/puzzles/<int:puzzle_id>")
@operation(
    "Fetch a puzzle, with its leaderboard",
    "puzzles",
    responses={200: schemas.Puzzle},
    errors=(404,),
)
def get_puzzle(puzzle_id: int) -> Any:
    def make() -> bytes:
        session = db.session()
        found = puzzles.get_puzzle(session, puzzle_id)
        calibrated = puzzles.calibration_of(session, found)
        return jsonify(
            {
                **puzzles.page_data(found),
                **calibrated_fields(
                    puzzles.stars(calibrated, found.level), calibrated.share, found.difficulty
                ),
                "scheme_words": puzzles.scheme_words(found),
                "leaderboard": [
                    {"rank": s.rank, "nickname": s.nickname, "score": s.value}
                    for s in leaderboards.puzzle_leaderboard(session, found)
                ],
                "page": url_for("play.puzzle", puzzle_id=found.id, _external=True),
            }
        ).get_data()

    body = payloads().get_or_make((puzzle_id, request.scheme, request.host), make)
    return current_app.response_class(body, mimetype="application/json")


@bp.post("/puzzles/<int:puzzle_id>/solutions")
@limiter.limit(players.submit_ip_limit)
@limiter.limit(players.submit_limit, key_func=players.player_rate_key)
@operation(
    "Submit a solution",
    "puzzles",
    scope="write",
    body=schemas.SolutionCreate,
    view_reads_body=True,
    responses={200: schemas.SolutionResult, 201: schemas.SolutionResult},
    errors=(409, 413),
    description="The server rescores every solution. Guests send a nickname; a signed-in "
    "player's token (scope write) or session is used when present. 200 when the "
    "same layout was already submitted.",
    example={"rows": ["AC-GT", "ACGGT"], "nickname": "ada"},
)
def post_solution(puzzle_id: int) -> tuple[dict[str, Any], int]:
    if players.too_large():
        raise TooLarge(f"A solution is at most {players.MAX_SUBMISSION_BYTES} bytes.", "rows")
    session = db.session()
    # The puzzle first (a missing one is 404 whatever was sent), with what the
    # submission needs to know, in one query; read for the player as known so far.
    known_key = players.guest_key() or ""
    found, state, rules = submissions.puzzle_for_submission(session, puzzle_id, known_key)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "rows" not in body:
        raise ServiceError('Send JSON like {"rows": ["AC-GT", ...]}.', "rows")
    nickname = body.get("nickname")
    if nickname is not None and not isinstance(nickname, str):
        raise ServiceError("nickname must be a string.", "nickname")
    player = players.current_player(nickname)
    result = submissions.submit(
        session,
        found,
        body["rows"],
        player,
        state=state if player.key == known_key else None,  # a guest's first: read again
        rules=rules,
        retire_after=current_app.config["PUZZLE_RETIRE_AFTER"],
    )
    session.commit()
    note_solution(found, result)  # see portal.play.payload_cache
    payload = result.to_dict()
    payload["message"] = players.outcome(result)
    return payload, 201 if result.created else 200


@bp.post("/puzzles/<int:puzzle_id>/hints")
@limiter.limit(players.submit_ip_limit)
@limiter.limit(players.submit_limit, key_func=players.player_rate_key)
@operation(
    "Ask for a hint",
    "puzzles",
    scope="write",
    body=schemas.HintCreate,
    view_reads_body=True,
    responses={201: schemas.HintResult},
    errors=(409, 413),
    description="One block worth moving on the board as sent, searched by the server's "
    "solver among the rows numbered in `shown` (0-based; every row when absent). Each "
    "hint is counted against the player (signed in, or the guest of this session) and "
    "costs points on their next solution of the puzzle.",
    example={"rows": ["AC-GT", "ACGGT"], "shown": [0, 1]},
)
def post_hint(puzzle_id: int) -> tuple[dict[str, Any], int]:
    if players.too_large():
        raise TooLarge(f"A board is at most {players.MAX_SUBMISSION_BYTES} bytes.", "rows")
    session = db.session()
    found = puzzles.get_puzzle(session, puzzle_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "rows" not in body:
        raise ServiceError('Send JSON like {"rows": ["AC-GT", ...], "shown": [0, 1]}.', "rows")
    key, user_id = players.hint_taker()
    given = hints.give(session, found, body["rows"], body.get("shown"), key, user_id)
    session.commit()
    return given.to_dict(), 201
