"""Badges: earned on the server when a solution is accepted, once per user."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.play import badges, splicing
from portal.play.models import AlignmentSource, Badge, Puzzle, Solution
from portal.play.tutorial import ensure_tutorial
from tests.portal.play.conftest import AT_PAR, BEST, SOLVED, Player


def codes(session, user_id: int) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Badge.badge).where(Badge.user_id == user_id)))


def test_beating_par_first_earns_three_badges_and_the_page_shows_them(
    app, client, auth, make_user, tutorial_id, session
):
    carol = make_user("carol")
    auth.login("carol")
    body = Player(client, tutorial_id).submit(SOLVED, nickname=None).get_json()
    assert {b["code"] for b in body["badges"]} == {"first_solve", "beat_par", "first_to_beat_par"}
    assert "New badge: " in body["message"] and "Pioneer" in body["message"]
    assert codes(session, carol) == {"first_solve", "beat_par", "first_to_beat_par"}
    page = client.get("/play/history").get_data(as_text=True)
    assert 'id="badges"' in page and "Pioneer" in page and "Beat par" in page


def test_the_second_player_to_beat_par_is_no_pioneer(app, auth, make_user, tutorial_id, session):
    first, second = app.test_client(), app.test_client()
    make_user("ann")
    bob = make_user("bob")
    from tests.portal.conftest import AuthActions

    AuthActions(first).login("ann")
    AuthActions(second).login("bob")
    Player(first, tutorial_id).submit(SOLVED, nickname=None)
    body = Player(second, tutorial_id).submit(SOLVED, nickname=None).get_json()
    assert {b["code"] for b in body["badges"]} == {"first_solve", "beat_par"}
    assert codes(session, bob) == {"first_solve", "beat_par"}


def test_badges_are_given_once_and_a_layout_below_par_earns_none(
    client, auth, make_user, tutorial_id, session
):
    carol = make_user("carol")
    auth.login("carol")
    player = Player(client, tutorial_id)
    below = ["ACGTTGCA---", "--ACGTTGCA-", "ACGGCA-----"]
    assert player.submit(below, nickname=None).get_json()["badges"] == []
    assert [b["code"] for b in player.submit(AT_PAR, nickname=None).get_json()["badges"]] == [
        "first_solve"
    ]
    assert player.submit(AT_PAR, nickname=None).get_json()["badges"] == []  # a duplicate
    assert "first_solve" not in {
        b["code"] for b in player.submit(SOLVED, nickname=None).get_json()["badges"]
    }
    session.expire_all()
    assert len(session.scalars(select(Badge).where(Badge.user_id == carol)).all()) == 3


def test_guests_earn_no_badges(player, session):
    assert player.submit(SOLVED).get_json()["badges"] == []
    assert session.scalars(select(Badge)).all() == []


def test_the_database_refuses_a_second_copy_of_a_badge(make_user, session):
    user_id = make_user("carol")
    session.add(Badge(user_id=user_id, badge="beat_par"))
    session.commit()
    session.add(Badge(user_id=user_id, badge="beat_par"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_award_skips_a_badge_the_user_has(app, make_user, session):
    user_id = make_user("carol")
    with app.app_context():
        assert badges.award(session, user_id, "contributor") is True
        assert badges.award(session, user_id, "contributor") is False
        with pytest.raises(ValueError, match="unknown badge"):
            badges.award(session, user_id, "made_up")


def test_streaks_count_consecutive_days():
    today = date(2026, 11, 23)
    days = {today, today - timedelta(days=1), today - timedelta(days=2)}
    assert badges.has_streak(days, today)
    assert not badges.has_streak(days - {today - timedelta(days=1)}, today)
    assert not badges.has_streak(days, today + timedelta(days=1))


def _solve_on(session, puzzle: Puzzle, user_id: int, when: datetime, n: int) -> Solution:
    solution = Solution(
        puzzle_id=puzzle.id,
        user_id=user_id,
        player_key=f"user:{user_id}",
        nickname="carol",
        layout_hash=f"h{n}",
        rows=(SOLVED),
        score=10.0,
        created_at=when,
    )
    session.add(solution)
    session.flush()
    return solution


def test_three_days_in_a_row_and_ten_puzzles_earn_their_badges(app, make_user, session):
    user_id = make_user("carol")
    now = datetime.now(UTC)
    with app.app_context():
        tutorial = ensure_tutorial(session)
        puzzles = [tutorial]
        for n in range(9):
            clone = Puzzle(
                **{
                    c: getattr(tutorial, c)
                    for c in (
                        "kind",
                        "scheme",
                        "names",
                        "sequences",
                        "start",
                        "width",
                        "start_score",
                        "par",
                        "par_layout",
                    )
                },
                title=f"copy {n}",
                level="beginner",
            )
            session.add(clone)
            puzzles.append(clone)
        session.flush()
        for back in (2, 1):
            _solve_on(session, puzzles[back], user_id, now - timedelta(days=back), back)
        earned = []
        for n, puzzle in enumerate(puzzles):
            if n in (1, 2):
                continue
            earned += badges.after_solution(
                session, _solve_on(session, puzzle, user_id, now, 10 + n), puzzle
            )
        assert "streak_3" in earned and "ten_puzzles" in earned
        assert earned.count("streak_3") == 1
        session.commit()


def test_players_whose_solution_is_spliced_in_become_contributors(
    app, client, auth, make_user, research, session
):
    user_id = make_user("carol")
    with app.app_context():
        session.add(
            Solution(
                puzzle_id=research["puzzle_id"],
                user_id=user_id,
                player_key=f"user:{user_id}",
                nickname="carol",
                layout_hash="x",
                rows=(BEST),
                score=100.0,
            )
        )
        session.flush()
        alignment = session.get(AlignmentSource, research["alignment_id"])
        assert len(splicing.splice_best(session, alignment)) == 1
        session.commit()
    assert codes(session, user_id) == {"contributor"}
    auth.login("carol")
    page = client.get("/play/history").get_data(as_text=True)
    assert 'id="contributions"' in page and "columns 4-8" in page
    assert "Research contributor" in page
