"""Leaderboards from server scores: per puzzle and overall, by period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from games.puzzles import scheme_for, scheme_to_params
from portal import db
from portal.db import utcnow
from portal.errors import ServiceError
from portal.play import leaderboards
from portal.play.models import Puzzle, Solution
from portal.play.submissions import Player, submit
from tests.portal.play.conftest import AT_PAR, SOLVED


def second_puzzle(session) -> Puzzle:
    puzzle = Puzzle(
        title="Two rows",
        kind="dna",
        level="beginner",
        scheme=(scheme_to_params(scheme_for("dna"))),
        names=["a", "b"],
        sequences=["ACGT", "AGT"],
        start=["ACGT-", "AGT--"],
        width=5,
        start_score=-1.0,
        par=1.0,
        par_layout=["ACGT-", "A-GT-"],
        difficulty=2.0,
    )
    session.add(puzzle)
    session.flush()
    return puzzle


@pytest.fixture
def world(app, tutorial_id):
    """Three players; Ann and Bob on two puzzles, Cat on the tutorial long ago."""
    with app.app_context():
        session = db.new_session()
        tutorial = session.get(Puzzle, tutorial_id)
        other = second_puzzle(session)
        ann, bob, cat = (Player(f"guest:{n}", n) for n in ("Ann", "Bob", "Cat"))
        submit(session, tutorial, AT_PAR, ann)  # 8: 50 points
        submit(session, tutorial, SOLVED, ann)  # 10: 100 points
        submit(session, tutorial, SOLVED, bob)  # 10, later than Ann
        submit(session, other, ["A-CGT", "A--GT"], bob)
        submit(session, other, ["ACGT", "A-GT"], bob)
        submit(session, other, ["ACGT-", "AGT--"], ann)
        old = submit(session, tutorial, SOLVED, cat).solution
        old.created_at = utcnow() - timedelta(days=10)
        session.commit()
        # Make Bob's tutorial solution later than Ann's, whatever the clock's resolution.
        for solution in session.query(Solution).filter(Solution.player_key == "guest:Bob"):
            solution.created_at = utcnow() + timedelta(seconds=5)
        session.commit()
        ids = tutorial.id, other.id
        session.close()
    return ids


def test_puzzle_leaderboard_keeps_each_players_best(app, world):
    with app.app_context():
        session = db.new_session()
        tutorial = session.get(Puzzle, world[0])
        board = leaderboards.puzzle_leaderboard(session, tutorial)
        assert [(s.rank, s.nickname, s.value) for s in board] == [
            (1, "Cat", 10.0),
            (2, "Ann", 10.0),
            (3, "Bob", 10.0),
        ]
        week = leaderboards.puzzle_leaderboard(session, tutorial, "week")
        assert [s.nickname for s in week] == ["Ann", "Bob"]  # ties: first to reach it first
        session.close()


def test_overall_leaderboard_sums_best_points_per_puzzle(app, world):
    with app.app_context():
        session = db.new_session()
        other = session.get(Puzzle, world[1])
        scores = {
            s.player_key: s.score
            for s in session.query(Solution).filter(Solution.puzzle_id == other.id)
        }
        # Scores of the second puzzle (par 1, difficulty 2): none reaches par.
        assert all(score < other.par for score in scores.values())
        board = leaderboards.overall_leaderboard(session)
        # Ann: max(50, 100) = 100 (not 150); Bob 100; Cat 100 but ten days ago.
        assert [(s.nickname, s.value) for s in board] == [
            ("Ann", 100.0),
            ("Bob", 100.0),
            ("Cat", 100.0),
        ]
        assert [s.nickname for s in leaderboards.overall_leaderboard(session, "today")] == [
            "Ann",
            "Bob",
        ]
        assert [s.nickname for s in leaderboards.overall_leaderboard(session, "week")] == [
            "Ann",
            "Bob",
        ]
        session.close()


def test_pages_show_the_leaderboards(client, world):
    page = client.get("/play/").get_data(as_text=True)
    assert "Ann" in page and "Bob" in page and "Cat" in page
    today = client.get("/play/?period=today").get_data(as_text=True)
    assert "Cat" not in today and "Ann" in today
    puzzle_page = client.get(f"/play/{world[0]}?period=week").get_data(as_text=True)
    assert "Bob" in puzzle_page and "Cat" not in puzzle_page
    api = client.get(f"/api/v1/puzzles/{world[0]}").get_json()
    assert [row["nickname"] for row in api["leaderboard"]] == ["Cat", "Ann", "Bob"]


def test_unknown_period_is_refused(app, world):
    with app.app_context():
        session = db.new_session()
        with pytest.raises(ServiceError):
            leaderboards.overall_leaderboard(session, "year")
        session.close()
