"""Hints: a block worth moving, found on the server from the player's board,
and paid for in points on the player's next solution."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from games.hints import suggest
from games.puzzles import layout, move, positions, residues, scheme_for
from games.scoring import score_alignment
from portal.play.hints import cost
from portal.play.models import PuzzleHint, Solution
from portal.play.tutorial import TUTORIAL_START
from tests.portal.play.conftest import SOLVED

DNA = scheme_for("dna")


def apply(rows, hint):
    cols = positions(rows[hint.row])
    moved = move(cols, hint.block, hint.to_column - hint.from_column, len(rows[0]), tail=hint.tail)
    out = list(rows)
    out[hint.row] = layout(residues(rows[hint.row]), moved, len(rows[0]))
    return out


def test_the_hint_on_the_tutorial_is_a_move_that_raises_the_score():
    hint = suggest(TUTORIAL_START, DNA)
    assert hint is not None and hint.gain > 0
    after = apply(TUTORIAL_START, hint)
    assert score_alignment(after, DNA) == score_alignment(TUTORIAL_START, DNA) + hint.gain
    assert hint.reaches >= score_alignment(after, DNA)


def test_no_hint_on_a_board_the_search_cannot_improve():
    assert suggest(SOLVED, DNA, evaluations=3_000) is None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text("ACGT", min_size=3, max_size=7), min_size=2, max_size=4), st.data())
def test_a_hint_is_always_a_legal_move_whose_gain_is_what_it_says(sequences, data):
    width = max(map(len, sequences)) + 2
    rows = [s + "-" * (width - len(s)) for s in sequences]
    hint = suggest(rows, DNA, evaluations=2_000)
    if hint is None:
        return
    after = apply(rows, hint)
    assert [residues(r) for r in after] == sequences
    assert abs(score_alignment(after, DNA) - score_alignment(rows, DNA) - hint.gain) < 1e-9


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
