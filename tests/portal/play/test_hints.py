"""Hints on the play pages: asked for with the player's board, counted, and
paid for in points on the player's next solution."""

from __future__ import annotations

from sqlalchemy import select

from portal.play.hints import cost
from portal.play.models import PuzzleHint, Solution
from portal.play.tutorial import TUTORIAL_START
from tests.portal.play.conftest import SOLVED


def test_a_hint_costs_points_on_the_next_solution(player, session):
    response = player.client.post(
        f"/api/v1/puzzles/{player.puzzle_id}/hints",
        json={"rows": TUTORIAL_START, "shown": [0, 1, 2]},
        headers={"X-CSRFToken": player.token()},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["hints"] == 1 and body["cost"] == cost(1.0) == 20
    assert body["row"] is not None and "costs 20 points" in body["message"]
    stored = session.scalars(select(PuzzleHint)).one()
    assert stored.player_key.startswith("guest:")
    answer = player.submit(SOLVED).get_json()
    assert answer["points"] == 100 - 20 and answer["hints"] == 1
    assert "You took 1 hint" in answer["message"]
    solution = session.scalars(select(Solution)).one()
    assert solution.points == 80 and solution.hints == 1
    assert stored.player_key == solution.player_key


def test_a_signed_in_players_history_shows_the_hints_a_solution_took(
    client, auth, make_user, player
):
    make_user("hana")
    auth.login("hana")
    asked = client.post(
        f"/api/v1/puzzles/{player.puzzle_id}/hints",
        json={"rows": TUTORIAL_START},
        headers={"X-CSRFToken": player.token()},
    )
    assert asked.status_code == 201
    assert player.submit(SOLVED, nickname=None).get_json()["points"] == 80
    page = client.get("/play/history").get_data(as_text=True)
    assert '80 <span class="muted">(1 hint)</span>' in page


def test_a_hint_looks_only_at_the_rows_shown(player, session):
    # Only the first two rows are on the board: the hint is about one of them.
    response = player.client.post(
        f"/api/v1/puzzles/{player.puzzle_id}/hints",
        json={"rows": TUTORIAL_START, "shown": [0, 1]},
        headers={"X-CSRFToken": player.token()},
    )
    assert response.status_code == 201
    assert response.get_json()["row"] in (0, 1)


def test_a_hint_that_finds_nothing_is_free(player, session):
    response = player.client.post(
        f"/api/v1/puzzles/{player.puzzle_id}/hints",
        json={"rows": SOLVED},
        headers={"X-CSRFToken": player.token()},
    )
    assert response.status_code == 201
    assert response.get_json()["row"] is None and response.get_json()["hints"] == 0
    assert session.scalars(select(PuzzleHint)).all() == []
    assert player.submit(SOLVED).get_json()["points"] == 100


def test_a_bad_board_gets_a_clear_error_and_no_hint_is_counted(player, session):
    def ask(body):
        return player.client.post(
            f"/api/v1/puzzles/{player.puzzle_id}/hints",
            json=body,
            headers={"X-CSRFToken": player.token()},
        )

    wrong = ask({"rows": ["ACGTTGCA---", "ACGTTGCT---", "ACG--GCA---"]})
    assert wrong.status_code == 400
    assert "row 2, column 8" in wrong.get_json()["error"]["message"]
    for shown in ([0, 9], [1], [1, 1], 2, [True, 0]):
        answer = ask({"rows": TUTORIAL_START, "shown": shown})
        assert answer.status_code == 400, shown
        assert "shown" in answer.get_json()["error"]["message"]
    assert ask({"shown": 2}).status_code == 400
    assert session.scalars(select(PuzzleHint)).all() == []
