"""Puzzles named in plain words, difficulty as stars, and the player's progress on Play."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from portal.play.calibration import Calibration
from portal.play.puzzles import plain_title, stars
from tests.portal.play.conftest import SOLVED


def test_a_window_of_a_research_alignment_is_named_by_what_and_how_many():
    title = "Interleukin-6 proteins, columns 201-233"
    assert plain_title(title, "protein", ["human", "chimp", "mouse"]) == (
        "Interleukin-6 proteins from 3 species"
    )
    # Rows named by accession numbers are sequences, not species.
    assert plain_title(title, "protein", ["P05231.1", "Q9XXX1"]) == (
        "Interleukin-6 proteins from 2 sequences"
    )


def _expecting(share: float) -> Calibration:
    return Calibration(moves=3, gain=5.0, players=0, reached=0, share=share)


@given(st.floats(0, 1), st.floats(0, 1))
def test_stars_run_from_one_to_five_and_never_fall_as_fewer_players_reach_par(a, b):
    low, high = sorted((a, b))
    assert 1 <= stars(_expecting(high), "beginner") <= stars(_expecting(low), "expert") <= 5
    assert stars(_expecting(0.0), "expert") == 5 and stars(_expecting(1.0), "beginner") == 1
    assert stars(_expecting(low), "tutorial") == 1


def test_play_page_shows_plain_names_stars_and_the_players_progress(
    client, auth, make_user, research, player
):
    page = client.get("/play/").get_data(as_text=True)
    assert "A tiny alignment from 3 species" in page
    assert 'aria-label="Difficulty 1 of 5"' in page
    assert "Your progress" not in page  # visitors have no account to count for
    make_user("pia")
    auth.login("pia")
    assert player.submit(SOLVED, nickname=None).status_code == 201
    page = client.get("/play/").get_data(as_text=True)
    assert 'id="your-points">100<' in page
    assert "from 1 puzzle." in page
    puzzle = client.get(f"/play/{research['puzzle_id']}").get_data(as_text=True)
    assert "<h1>A tiny alignment from 3 species" in puzzle
    assert "human, mouse, rat" in puzzle


def test_the_api_reports_the_calibrated_stars_as_difficulty(client, session, research):
    from portal.play.models import Puzzle
    from portal.play.puzzles import difficulty_stars

    puzzle = session.get(Puzzle, research["puzzle_id"])
    puzzle.difficulty = 7.0  # the board-size number: reported only under its own name
    session.commit()
    expected = difficulty_stars(session, puzzle)
    listed = {i["id"]: i for i in client.get("/api/v1/puzzles").get_json()["items"]}[puzzle.id]
    one = client.get(f"/api/v1/puzzles/{puzzle.id}").get_json()
    for body in (listed, one):
        assert body["difficulty"] == body["stars"] == expected
        assert body["board_size_difficulty"] == 7.0
        assert 0 < body["expected_share"] <= 1
    page = client.get(f"/play/{puzzle.id}").get_data(as_text=True)
    assert f'aria-label="Difficulty {expected} of 5"' in page
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("PuzzleSummary", "Puzzle"):
        assert spec[name]["properties"]["board_size_difficulty"]["deprecated"] is True
        assert spec[name]["properties"]["difficulty"]["maximum"] == 5
