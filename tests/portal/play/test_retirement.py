"""Puzzles retire once players agree on a spliced best solution, or after
enough solutions; the tutorial never does."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.play import puzzles, retirement
from portal.play.models import Puzzle, Solution
from tests.portal.play.conftest import BEST, GOOD, Player, splice_as_researcher


def test_a_spliced_puzzle_that_players_agree_on_is_retired(
    app, client, auth, make_user, research, session
):
    for nickname in ("Ann", "Bea", "Cy"):
        player = Player(app.test_client(), research["puzzle_id"])
        assert player.submit(BEST, nickname=nickname).status_code == 201
    response = splice_as_researcher(client, auth, make_user, research["slug"])
    assert response.status_code == 302

    session.expire_all()  # the request changed the rows this session has cached
    puzzle = session.get(Puzzle, research["puzzle_id"])
    assert puzzle.retired_at is not None and not puzzle.active
    assert "reached by 3 players" in puzzle.retired_reason
    assert f"/play/{puzzle.id}" not in client.get("/play/").get_data(as_text=True)
    assert puzzle.id not in [p["id"] for p in client.get("/api/v1/puzzles").get_json()["items"]]
    page = client.get(f"/play/{puzzle.id}")
    assert page.status_code == 200 and "This puzzle is retired" in page.get_data(as_text=True)
    late = Player(app.test_client(), puzzle.id).submit(GOOD, nickname="Late")
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "retired"
    assert session.scalar(select(func.count()).select_from(Solution)) == 3


def test_a_spliced_puzzle_only_one_player_solved_stays_offered(
    app, client, auth, make_user, research, session
):
    Player(app.test_client(), research["puzzle_id"]).submit(BEST, nickname="Bea")
    splice_as_researcher(client, auth, make_user, research["slug"])
    session.expire_all()
    puzzle = session.get(Puzzle, research["puzzle_id"])
    assert puzzle.retired_at is None and puzzle.active


def test_a_puzzle_is_retired_after_enough_solutions(app, research, session):
    with app.app_context():
        puzzle = session.get(Puzzle, research["puzzle_id"])
        for i, rows in enumerate([BEST, GOOD]):
            session.add(
                Solution(
                    puzzle_id=puzzle.id,
                    player_key=f"guest:{i}",
                    nickname="N",
                    layout_hash=str(i),
                    rows=(rows),
                    score=1.0,
                )
            )
        session.flush()
        assert not retirement.retire_if_exhausted(session, puzzle, limit=3)
        assert retirement.retire_if_exhausted(session, puzzle, limit=2)
        assert "2 solutions received" in puzzle.retired_reason
        session.commit()
    assert research["puzzle_id"] not in [p.id for p in puzzles.visible_puzzles(session)]


def test_the_tutorial_is_never_retired(app, tutorial_id, session):
    with app.app_context():
        tutorial = session.get(Puzzle, tutorial_id)
        assert not retirement.retire_if_exhausted(session, tutorial, limit=0)
        assert tutorial.retired_at is None
