"""A solution sent with a token costs a fixed, small number of statements, whatever
the puzzle's number of solutions; what it skips must not change its points."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, select

from portal import db
from portal.play.hints import net_points
from portal.play.models import Puzzle, Solution
from portal.play.submissions import points_for
from portal.play.tutorial import ensure_tutorial
from tests.portal.api.conftest import bearer

BELOW_PAR = ["ACGTTGCA---", "ACGTTGCA---", "A-CGGCA----"]
AT_PAR = ["ACGTTGCA---", "ACGTTGCA---", "ACGGCA-----"]  # the tutorial's par, 8


@pytest.fixture
def tutorial_id(session) -> int:
    puzzle = ensure_tutorial(session)
    session.commit()
    return puzzle.id


@contextmanager
def statements(app) -> Iterator[list[str]]:
    with app.app_context():
        engine = db.engine()
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _send(client, puzzle_id: int, rows: list[str], token: str):
    return client.post(
        f"/api/v1/puzzles/{puzzle_id}/solutions", json={"rows": rows}, headers=bearer(token)
    )


def test_a_solution_below_par_reads_the_puzzle_once_and_inserts_once(
    app, client, session, person, token_for, tutorial_id
):
    token = token_for(person("sam"))
    first = _send(client, tutorial_id, AT_PAR, token)  # the token is now known and "last used"
    assert first.status_code == 201
    with statements(app) as seen:
        answer = _send(client, tutorial_id, BELOW_PAR, token)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["points"] == 0
    # The puzzle with its counts, then INSERT ... RETURNING: no players' record
    # (the stars do not matter below par), no alignment (the start is not beaten).
    assert len(seen) == 2, seen
    assert "INSERT INTO puzzle_solutions" in seen[1]


def test_a_solution_at_par_still_reads_the_stars_that_scale_its_points(
    app, client, session, person, token_for, tutorial_id
):
    token = token_for(person("sam"))
    assert _send(client, tutorial_id, BELOW_PAR, token).status_code == 201
    with statements(app) as seen:
        answer = _send(client, tutorial_id, AT_PAR, token)
    assert answer.status_code == 201
    assert answer.get_json()["points"] == 50  # the tutorial is one star
    assert any("GROUP BY" in statement for statement in seen)
    # The layouts behind the stars, left out of the first read, come in one more.
    layouts = [s for s in seen[1:] if "puzzles.start" in s or "puzzles.par_layout" in s]
    assert len(layouts) == 1, seen
    stored = session.scalar(select(Solution.points).where(Solution.score >= 8))
    assert stored == 50


def test_the_best_score_read_with_every_solution_is_the_puzzles_best(
    app, client, session, person, token_for, tutorial_id
):
    """The best score comes from the (puzzle, score) index; a new best is reported
    as such to the splicing, which the research tests cover; here, the value."""
    from portal.play.submissions import puzzle_for_submission

    token = token_for(person("sam"))
    for rows in (BELOW_PAR, AT_PAR):
        assert _send(client, tutorial_id, rows, token).status_code == 201
    _puzzle, state, _rules = puzzle_for_submission(session, tutorial_id, "user:none")
    scores = session.scalars(select(Solution.score).where(Solution.puzzle_id == tutorial_id))
    assert state.best == max(scores)
    assert state.solutions == 2
    assert session.get(Puzzle, tutorial_id) is not None


@given(
    below=st.floats(min_value=1e-6, max_value=1e6),
    par=st.floats(min_value=-1e6, max_value=1e6),
    stars=st.integers(min_value=1, max_value=5),
    hints=st.integers(min_value=0, max_value=1000),
)
def test_below_par_no_stars_and_no_hints_give_points(
    below: float, par: float, stars: int, hints: int
) -> None:
    """What lets a submission skip reading the stars: below par, the points are
    nothing whatever the stars and hints."""
    score = par - below
    if score >= par - 1e-9:
        return
    assert points_for(score, par, 1) == 0
    assert net_points(points_for(score, par, stars), stars, hints) == 0


def test_the_rules_read_as_text_are_the_puzzles_and_follow_a_changed_scheme(session, tutorial_id):
    """The submission reads the sequences and scheme as JSON text (on PostgreSQL,
    jsonb's own text), which keys the decoded rules: they must equal the rules
    decoded from the row, and a scheme changed in the database must give new ones."""
    from portal.play.puzzles import rules_of
    from portal.play.submissions import puzzle_for_submission

    _puzzle, _state, rules = puzzle_for_submission(session, tutorial_id, "user:none")
    puzzle = session.get(Puzzle, tutorial_id)
    assert rules == rules_of(puzzle)
    assert rules.score(list(puzzle.start)) == pytest.approx(puzzle.start_score)

    field = "open_internal_insertion_score"
    changed = {**puzzle.scheme, field: puzzle.scheme[field] - 7}
    puzzle.scheme = changed
    session.commit()
    session.expire_all()
    _puzzle, _state, after = puzzle_for_submission(session, tutorial_id, "user:none")
    assert after == rules_of(session.get(Puzzle, tutorial_id))
    assert after != rules
