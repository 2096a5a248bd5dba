"""Submitting solutions: checked, scored by the server, stored once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.play import leaderboards, submissions
from portal.play.models import Puzzle, Solution
from tests.portal.conftest import csrf_token
from tests.portal.play.conftest import AT_PAR, SOLVED


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Solution))


def test_the_server_scores_and_stores_a_solution(player, session):
    response = player.submit(SOLVED)
    assert response.status_code == 201
    body = response.get_json()
    assert body["score"] == 10 and body["par"] == 8
    assert body["beats_par"] is True and body["points"] == 100
    assert body["nickname"] == "Zed" and body["duplicate"] is False
    stored = session.scalars(select(Solution)).one()
    assert stored.score == 10 and stored.rows == SOLVED and stored.user_id is None
    assert stored.player_key.startswith("guest:")


def test_client_claims_about_the_score_are_ignored(player, session):
    response = player.submit(AT_PAR, score=999)
    assert response.get_json()["score"] == 8
    assert response.get_json()["reaches_par"] is True
    assert response.get_json()["points"] == 50


def test_points_follow_the_calibrated_stars_not_the_board_size(client, research, session):
    from portal.play.puzzles import difficulty_stars

    from .conftest import BEST, Player

    puzzle = session.get(Puzzle, research["puzzle_id"])
    puzzle.difficulty = 7.0  # the old measure, from the board's size: not used
    session.commit()
    stars = difficulty_stars(session, puzzle)
    assert 1 <= stars <= 5
    answer = Player(client, research["puzzle_id"]).submit(BEST).get_json()
    assert answer["beats_par"] is True and answer["points"] == 100 * stars


def test_points_are_scaled_by_difficulty():
    assert submissions.points_for(11, 10, 1.0) == 100
    assert submissions.points_for(11, 10, 2.5) == 250
    assert submissions.points_for(10, 10, 2.0) == 100
    assert submissions.points_for(9, 10, 3.0) == 0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["ACGTTGCA---", "ACGTTGCA---"], "2 rows but the puzzle has 3"),
        (
            ["ACGTTGCA---", "ACGTTGCT---", "ACG--GCA---"],
            "row 2, column 8: expected residue 8 ('A') but found 'T'",
        ),
        (["ACGTTGCA---", "ACGTTGCA---", "ACG--GCAX--"], "row 3, column 9: 'X' is not allowed"),
        (["ACGTTGCA---", "ACGTTGCA---", "ACG--GC----"], "row 3 is missing residues"),
        (["ACGTTGCA----", "ACGTTGCA----", "ACG--GCA----"], "at most 11"),
        (["ACGTTGCA---", "ACGTTGCA--", "ACG--GCA---"], "row 2 is 10 columns wide but row 1 is 11"),
        ("ACGT", "list of rows"),
        ([1, 2, 3], "row 1 is not a string"),
    ],
)
def test_wrong_solutions_get_a_clear_error_and_nothing_is_stored(player, session, rows, message):
    response = player.submit(rows)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert message in error["message"]
    assert error["field"] == "rows"
    assert count(session) == 0


def test_wrong_residue_errors_name_row_and_column(player):
    error = player.submit(["ACGTTGCA---", "ACGTTGCT---", "ACG--GCA---"]).get_json()["error"]
    assert (error["row"], error["column"]) == (2, 8)


def test_oversized_payloads_are_refused(player, session):
    response = player.submit(["A" * 20_000] * 3)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert count(session) == 0


def test_body_must_be_json_with_rows(player, client, session):
    response = client.post(
        f"/api/v1/puzzles/{player.puzzle_id}/solutions",
        data="rows",
        headers={"X-CSRFToken": player.token(), "Content-Type": "text/plain"},
    )
    assert response.status_code == 400
    assert "rows" in response.get_json()["error"]["message"]
    assert count(session) == 0


def test_unknown_puzzle(player, client, session):
    response = player.submit(SOLVED, puzzle_id=999_999)
    assert response.status_code == 404
    assert response.get_json()["error"] == {
        "code": "not_found",
        "field": None,
        "message": "There is no puzzle 999999.",
    }
    assert client.get("/api/v1/puzzles/999999").status_code == 404
    assert client.get("/play/999999").status_code == 404
    assert count(session) == 0


def test_guests_need_a_nickname(player, session):
    response = player.submit(SOLVED, nickname=None)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "nickname"
    assert player.submit(SOLVED, nickname="<script>").status_code == 400
    assert count(session) == 0


def test_the_nickname_is_remembered_in_the_session(player):
    assert player.submit(SOLVED, nickname="Ada L").status_code == 201
    assert player.submit(AT_PAR, nickname=None).get_json()["nickname"] == "Ada L"


def test_csrf_is_required_for_cookie_calls(client, tutorial_id, session):
    url = f"/api/v1/puzzles/{tutorial_id}/solutions"
    # Without a session or a token there are no credentials at all.
    assert client.post(url, json={"rows": SOLVED, "nickname": "Zed"}).status_code == 401
    client.get(f"/play/{tutorial_id}")  # a guest's browser session
    response = client.post(url, json={"rows": SOLVED, "nickname": "Zed"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert count(session) == 0


def test_duplicates_collapse_onto_one_row(player, session):
    assert player.submit(SOLVED).status_code == 201
    again = player.submit(SOLVED)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    # The same alignment with an extra all-gap column is the same layout.
    assert player.submit(["ACGTTGCA---", "ACGTTGCA---", "ACG--GCA---"]).get_json()["duplicate"]
    rows = session.scalars(select(Solution)).all()
    assert len(rows) == 1 and rows[0].submissions == 3
    assert player.submit(AT_PAR).status_code == 201
    assert count(session) == 2


def test_two_players_may_send_the_same_layout(app, player, session, tutorial_id):
    from tests.portal.play.conftest import Player

    other = Player(app.test_client(), tutorial_id)
    assert player.submit(SOLVED).status_code == 201
    assert other.submit(SOLVED, nickname="Bea").status_code == 201
    assert count(session) == 2


def test_form_submission(client, tutorial_id, session):
    url = f"/play/{tutorial_id}"
    response = client.post(
        f"{url}/solutions",
        data={
            "csrf_token": csrf_token(client, url),
            "rows": "\n".join(SOLVED),
            "nickname": "Formy",
        },
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Server score: 10 (par 8). You beat par: 100 points." in page
    assert "Formy" in page
    bad = client.post(
        f"{url}/solutions",
        data={
            "csrf_token": csrf_token(client, url),
            "rows": "ACGT\nACGT\nACGT",
            "nickname": "Formy",
        },
    )
    assert bad.status_code == 400
    assert "row 1 is missing residues" in bad.get_data(as_text=True)
    assert count(session) == 1


def test_logged_in_players_get_a_history(client, auth, make_user, player, session):
    make_user("carol")
    auth.login("carol")
    assert client.get("/play/history").status_code == 200
    response = player.submit(SOLVED, nickname=None)
    assert response.get_json()["nickname"] == "carol"
    stored = session.scalars(select(Solution)).one()
    assert stored.user_id is not None and stored.player_key == f"user:{stored.user_id}"
    page = client.get("/play/history").get_data(as_text=True)
    assert "Tutorial: line up the blocks" in page and "100" in page


def test_history_needs_an_account(client):
    response = client.get("/play/history")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_rate_limit_per_player(make_app, tutorial_id, session):
    from tests.portal.play.conftest import Player

    app = make_app(PLAY_SUBMIT_RATE_LIMIT="3 per minute", RATELIMIT_ENABLED=True)
    limited = Player(app.test_client(), tutorial_id)
    codes = [limited.submit(SOLVED if i % 2 else AT_PAR).status_code for i in range(5)]
    assert codes[:3] != [429] * 3 and codes[3:] == [429, 429]
    assert limited.submit(SOLVED).get_json()["error"]["code"] == "too_many_requests"


def test_rate_limit_per_address(make_app, tutorial_id):
    from tests.portal.play.conftest import Player

    app = make_app(PLAY_SUBMIT_IP_RATE_LIMIT="2 per minute", RATELIMIT_ENABLED=True)
    first, second = Player(app.test_client(), tutorial_id), Player(app.test_client(), tutorial_id)
    assert first.submit(SOLVED).status_code == 201
    assert second.submit(SOLVED, nickname="Bea").status_code == 201
    assert second.submit(AT_PAR, nickname="Bea").status_code == 429


def test_a_layout_another_request_stored_is_counted_by_the_unique_constraint(
    app, tutorial_id, session
):
    """Nothing is looked up before the insert, so there is no window between a
    check and a write: the second request's INSERT meets the unique constraint,
    does nothing, and the layout counts as sent twice."""
    from portal import db

    ann = submissions.Player("guest:ann", "Ann")
    with app.app_context():
        results = []
        for _ in range(2):
            request_session = db.new_session()
            results.append(
                submissions.submit(
                    request_session, request_session.get(Puzzle, tutorial_id), SOLVED, ann
                )
            )
            request_session.commit()
            sent = results[-1].solution.submissions
            request_session.close()
    assert [r.created for r in results] == [True, False]
    assert results[0].solution.id == results[1].solution.id and sent == 2
    assert count(session) == 1


def test_a_burst_of_layouts_is_flagged_and_left_off_the_leaderboards(player, session, monkeypatch):
    monkeypatch.setattr(submissions, "FLAG_BURST", (3, submissions.FLAG_BURST[1]))
    layouts = [
        ["ACGTTGCA---", "ACGTTGCA---", "ACG" + "-" * k + "GCA" + "-" * (5 - k)] for k in range(5)
    ]
    bodies = [player.submit(rows).get_json() for rows in layouts]
    assert [b["flagged"] for b in bodies] == [False, False, False, True, True]
    assert "left off the leaderboards" in bodies[3]["message"]
    # The flagged layouts are stored, scored, but ranked nowhere.
    assert count(session) == 5
    puzzle = session.get(Puzzle, player.puzzle_id)
    assert [s.value for s in leaderboards.puzzle_leaderboard(session, puzzle)] == [
        max(b["score"] for b in bodies[:3])
    ]


def test_a_missing_puzzle_is_404_whatever_was_sent(client, player):
    token = player.token()
    for body in ({}, {"rows": ["AC"]}, {"rows": ["AC"], "nickname": 5}):
        response = client.post(
            "/api/v1/puzzles/999999/solutions", json=body, headers={"X-CSRFToken": token}
        )
        assert response.status_code == 404, body
        assert response.get_json()["error"]["code"] == "not_found"
