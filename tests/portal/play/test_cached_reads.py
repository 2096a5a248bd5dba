"""Puzzle payloads, the overall leaderboard and the puzzle list are kept for
PUZZLE_CACHE_SECONDS per web process; retirement is never late in its own process."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.play import submissions
from portal.play.models import Puzzle
from portal.play.payload_cache import LISTINGS, PAYLOADS
from tests.portal.conftest import Clock
from tests.portal.play.conftest import AT_PAR, SOLVED, Player


@pytest.fixture
def puzzle_clock(app) -> Clock:
    clock = Clock()
    app.extensions[PAYLOADS].clock = clock
    app.extensions[LISTINGS].clock = clock
    return clock


def _leaders(client, puzzle_id: int) -> list[str]:
    return [
        s["nickname"] for s in client.get(f"/api/v1/puzzles/{puzzle_id}").get_json()["leaderboard"]
    ]


def test_a_puzzles_leaderboard_catches_up_within_the_cache_seconds(
    app, client, tutorial_id, puzzle_clock
):
    assert app.config["PUZZLE_CACHE_SECONDS"] == 1.0
    assert _leaders(client, tutorial_id) == []
    assert Player(app.test_client(), tutorial_id).submit(SOLVED, nickname="Ada").status_code == 201
    assert _leaders(client, tutorial_id) == []  # the copy, under a second old
    puzzle_clock.now += 1.1
    assert _leaders(client, tutorial_id) == ["Ada"]


def _overall(client) -> list[str]:
    return [s["nickname"] for s in client.get("/api/v1/leaderboard").get_json()["items"]]


def test_points_scored_here_show_on_the_overall_leaderboard_at_once(
    app, client, tutorial_id, puzzle_clock
):
    """The player looks for their name right after scoring (the play journey does)."""
    assert _overall(client) == []
    Player(app.test_client(), tutorial_id).submit(AT_PAR, nickname="Ada")
    assert _overall(client) == ["Ada"]


def test_points_scored_in_another_process_show_within_the_cache_seconds(
    app, client, tutorial_id, puzzle_clock
):
    assert _overall(client) == []
    with app.app_context():  # stored as another web process would: this one is not told
        session = db.new_session()
        submissions.submit(
            session,
            session.get(Puzzle, tutorial_id),
            AT_PAR,
            submissions.Player("guest:bea", "Bea"),
        )
        session.commit()
        session.close()
    assert _overall(client) == []
    puzzle_clock.now += 1.1
    assert _overall(client) == ["Bea"]


def test_a_puzzle_retired_by_this_process_is_dropped_at_once(
    app, client, tutorial_id, puzzle_clock
):
    with app.app_context():
        session = db.new_session()
        other = session.scalar(select(Puzzle).where(Puzzle.id == tutorial_id))
        other.level = "beginner"  # the tutorial never retires
        session.commit()
        session.close()
    app.config["PUZZLE_RETIRE_AFTER"] = 1
    assert client.get(f"/api/v1/puzzles/{tutorial_id}").get_json()["retired"] is False
    assert [p["id"] for p in client.get("/api/v1/puzzles").get_json()["items"]] == [tutorial_id]
    Player(app.test_client(), tutorial_id).submit(SOLVED, nickname="Ada")
    assert client.get(f"/api/v1/puzzles/{tutorial_id}").get_json()["retired"] is True
    assert client.get("/api/v1/puzzles").get_json()["items"] == []
