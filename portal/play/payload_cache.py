"""Per-process copies of the game's hottest reads, kept for about a second:
each puzzle's API payload, the overall leaderboard and the list of puzzles.

Fetching a puzzle is most of a busy portal's traffic (players open puzzles far
more often than they send a solution), and its payload changes only when a
solution arrives or the puzzle retires. Serving the same bytes for up to
``PUZZLE_CACHE_SECONDS`` spares the leaderboard query and the JSON encoding.
A new solution does not drop the copy: on a busy puzzle that would be every few
milliseconds and the copy would never be used; the player already has their
score from the submission's answer, and the leaderboard catches up within the
second. A puzzle retired by this process drops its copy at once (it must stop
being offered), and a solution that scores points drops the overall
leaderboard; other processes catch up within the same second. No shared
cache is needed: the copy is cheap to rebuild. The overall leaderboard (summed
over every puzzle's solutions) and the list of offered puzzles are kept the same
way; a puzzle retired here drops the list too.

Payloads are kept per host name too, because they hold absolute links.
"""

from __future__ import annotations

from flask import Flask, current_app

from portal import db
from portal.play import leaderboards, puzzles, submissions
from portal.play.models import Puzzle
from portal.short_cache import ShortLivedCache

PAYLOADS, LISTINGS = "portal.puzzle_payloads", "portal.puzzle_listings"


def init_app(app: Flask) -> None:
    seconds = float(app.config["PUZZLE_CACHE_SECONDS"])
    app.extensions[PAYLOADS] = ShortLivedCache(seconds)
    app.extensions[LISTINGS] = ShortLivedCache(seconds)


def payloads() -> ShortLivedCache:
    """Puzzle API bodies by (puzzle id, scheme, host)."""
    return current_app.extensions[PAYLOADS]


def listings() -> ShortLivedCache:
    """Overall leaderboards by period, and the list of offered puzzles."""
    return current_app.extensions[LISTINGS]


def note_solution(puzzle: Puzzle, result: submissions.Submitted) -> None:
    """What this process must not show stale after ``result`` was stored: a
    retired puzzle, and the overall leaderboard when the solution scored points
    (rare enough to keep the copy useful, and the player looks for their name)."""
    if puzzle.retired_at is not None:
        forget_puzzle(puzzle.id)
    if result.created and result.points > 0 and not result.solution.flagged:
        listings().forget(lambda key: key != "puzzles")


def forget_puzzle(puzzle_id: int) -> None:
    payloads().forget(lambda key: isinstance(key, tuple) and key[0] == puzzle_id)
    listings().forget(lambda key: key == "puzzles")


def overall_leaderboard(period: str) -> list[leaderboards.Standing]:
    return listings().get_or_make(
        period, lambda: leaderboards.overall_leaderboard(db.session(), period)
    )


def visible_puzzles() -> list[puzzles.PuzzleSummary]:
    return listings().get_or_make("puzzles", lambda: puzzles.visible_puzzles(db.session()))
