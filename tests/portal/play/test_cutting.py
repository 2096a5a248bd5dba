"""When every puzzle of a level of an alignment has retired, the periodic task
cuts new ones from windows nobody has played yet."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.jobs import periodic
from portal.play import cutting
from portal.play.demo import DATA
from portal.play.models import AlignmentSource, Puzzle
from portal.play.retirement import retire
from portal.play.tasks import recut_puzzles


def _import_one(app) -> int:
    with app.app_context():
        session = db.new_session()
        alignment, puzzles = cutting.import_alignment(
            session,
            DATA / "il6.nucl.fasta",
            kind="dna",
            slug="il6-nucl",
            title="IL-6",
            levels={"beginner": 1},
            time_limit=0.2,
        )
        assert len(puzzles) == 1
        session.commit()
        alignment_id = alignment.id
        session.close()
    return alignment_id


def _puzzles(session, alignment_id: int) -> list[Puzzle]:
    session.expire_all()
    return list(
        session.scalars(
            select(Puzzle).where(Puzzle.alignment_id == alignment_id).order_by(Puzzle.id)
        )
    )


def test_nothing_is_cut_while_a_level_still_has_a_puzzle_on_offer(app, session):
    alignment_id = _import_one(app)
    assert recut_puzzles(app) == 0
    assert len(_puzzles(session, alignment_id)) == 1
    assert "play.recut_puzzles" in {entry.name for entry in periodic.entries(app)}


def test_a_retired_level_gets_a_new_puzzle_in_an_unplayed_window(app, session):
    alignment_id = _import_one(app)
    [first] = _puzzles(session, alignment_id)
    retire(first, "test: done")
    session.commit()

    assert recut_puzzles(app) == 1  # the periodic task, as the scheduler or beat runs it
    old, new = _puzzles(session, alignment_id)
    assert old.id == first.id
    assert new.level == "beginner" and new.active and new.retired_at is None
    # A window of its own, numbered in the original alignment's columns.
    assert new.source_end <= first.source_start or new.source_start >= first.source_end
    assert new.par > new.start_score  # a puzzle worth playing
    # The level has a puzzle on offer again: the next run cuts nothing.
    assert (
        cutting.replenish(session, session.get(AlignmentSource, alignment_id), time_limit=0.2) == []
    )


def test_a_puzzle_hidden_by_hand_still_holds_its_level(app, session):
    alignment_id = _import_one(app)
    [first] = _puzzles(session, alignment_id)
    first.active = False  # hidden, not retired
    session.commit()
    assert recut_puzzles(app) == 0


def test_the_database_refuses_a_second_puzzle_for_the_same_window(app, session):
    """What settles two processes storing the same (deterministic) cut on SQLite."""
    alignment_id = _import_one(app)
    [first] = _puzzles(session, alignment_id)
    twin = Puzzle(
        **{
            column.key: getattr(first, column.key)
            for column in Puzzle.__table__.columns
            if column.key != "id"
        }
    )
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
