"""Where a player goes next: the first-run path, the Phylo stages, the daily
puzzle, and points and badges on the profile."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from games.puzzles import residues, scheme_for, scheme_to_params, solve
from games.scoring import score_alignment
from portal.play import path
from portal.play.models import Puzzle
from portal.play.puzzles import PuzzleSummary, first_rows, scheme_of, stage_layouts, stages
from tests.portal.play.conftest import SOLVED


def summary(pid: int, level: str = "beginner", share: float = 0.5) -> PuzzleSummary:
    return PuzzleSummary(pid, f"P{pid}, columns 1-9", "dna", level, 3, 1.0, 1.0, ("a",), share)


OFFERED = [summary(1, "tutorial")] + [summary(i, share=1 - i / 10) for i in range(2, 8)]


def test_the_path_is_the_tutorial_then_three_easy_puzzles_then_harder_ones():
    steps = path.first_run(OFFERED, solved=set())
    assert [(s.label, s.puzzle.id) for s in steps] == [
        ("Learn", 1),
        ("Easy 1", 2),
        ("Easy 2", 3),
        ("Easy 3", 4),
    ]
    assert path.next_puzzle(OFFERED, set()).id == 1
    assert path.next_puzzle(OFFERED, {1, 2}).id == 3
    assert path.next_puzzle(OFFERED, {1, 2, 3, 4}).id == 5
    assert path.next_puzzle(OFFERED, {1}, after=2).id == 3
    assert path.next_puzzle(OFFERED, {p.id for p in OFFERED}) is None


def _stored(session, n: int, created: datetime, *, retired=None, level="beginner") -> int:
    puzzle = Puzzle(
        title=f"P{n}, columns 1-3",
        kind="dna",
        level=level,
        scheme=scheme_to_params(scheme_for("dna")),
        names=["a", "b"],
        sequences=["ACG", "ACG"],
        start=["ACG", "ACG"],
        width=3,
        start_score=2.0,
        par=2.0,
        par_layout=["ACG", "ACG"],
        source_start=n,
        source_end=n + 3,
        created_at=created,
        retired_at=retired,
        active=retired is None,
    )
    session.add(puzzle)
    session.flush()
    return puzzle.id


def test_the_daily_puzzle_stays_the_same_all_day_whatever_is_cut_or_retired(session):
    day = date(2026, 12, 7)
    began = datetime(2026, 12, 7, tzinfo=UTC)
    assert path.daily_puzzle(session, day) is None
    # Puzzles cut on the portal's first day: the first of them is that day's.
    first = _stored(session, 1, began + timedelta(hours=2))
    _stored(session, 2, began + timedelta(hours=3))
    assert path.daily_puzzle(session, day) == first
    earlier = began - timedelta(days=3)
    _stored(session, 3, earlier, level="tutorial")
    gone = _stored(session, 4, earlier, retired=began - timedelta(hours=1))
    candidates = {_stored(session, n, earlier) for n in range(5, 11)}
    picked = path.daily_puzzle(session, day)
    assert picked in candidates
    # New puzzles and a retirement during the day change nothing.
    _stored(session, 11, began + timedelta(hours=5))
    session.get(Puzzle, picked).retired_at = began + timedelta(hours=6)
    session.get(Puzzle, picked).active = False
    session.flush()
    assert path.daily_puzzle(session, day) == picked
    # It changes from day to day, and never is a puzzle retired before the day began.
    days = [path.daily_puzzle(session, day + timedelta(days=n)) for n in range(1, 40)]
    assert len(set(days)) > 3 and gone not in days


def test_a_board_starts_with_two_rows_and_each_stage_par_is_the_solvers_on_those_rows(
    session, research
):

    puzzle = session.get(Puzzle, research["puzzle_id"])
    assert first_rows(3, "beginner") == 2 and first_rows(7, "expert") == 3
    assert first_rows(3, "tutorial") == 3
    got = stages(puzzle)
    assert [len(s["rows"]) for s in got] == [2, 3]
    scheme = scheme_of(puzzle)
    (rows, par, layout), whole = stage_layouts(puzzle)
    # The opening pair is the one whose par layout gains over the start: the
    # second row (mouse) is the one out of place, so it is on the first board.
    assert 1 in rows and par > score_alignment([puzzle.start[r] for r in rows], scheme)
    assert got[0] == {"rows": rows, "par": par} and par == score_alignment(layout, scheme)
    assert par >= score_alignment([puzzle.par_layout[r] for r in rows], scheme)
    assert par >= solve([puzzle.start[r] for r in rows], scheme, max_evaluations=3_000).score
    assert [residues(r) for r in layout] == [puzzle.sequences[r] for r in rows]
    assert whole == ([0, 1, 2], puzzle.par, puzzle.par_layout) and got[-1]["par"] == puzzle.par


def test_the_play_page_shows_the_path_and_the_daily_puzzle(client, research, player):
    page = client.get("/play/").get_data(as_text=True)
    assert 'id="first-run"' in page and "Start with the tutorial" in page
    assert 'id="daily-puzzle"' in page and "A tiny alignment from 3 species" in page
    assert "How is difficulty computed?" in page
    items = client.get("/api/v1/puzzles").get_json()["items"]
    assert [i["level"] for i in items][0] == "tutorial"
    assert all(1 <= i["stars"] <= 5 and 0 < i["expected_share"] <= 1 for i in items)
    player.submit(SOLVED)
    page = client.get("/play/").get_data(as_text=True)
    assert "Next: A tiny alignment from 3 species" in page
    puzzle_page = client.get(f"/play/{research['puzzle_id']}").get_data(as_text=True)
    assert 'id="daily-notice"' in puzzle_page  # the only real puzzle is every day's


def test_the_public_profile_shows_points_and_badges(client, auth, make_user, player):
    make_user("pia")
    auth.login("pia")
    assert player.submit(SOLVED, nickname=None).status_code == 201
    auth.logout()
    page = client.get("/u/pia").get_data(as_text=True)
    assert 'id="profile-points">100<' in page
    assert "First solve" in page and "Beat par" in page
