"""SQLite engines: savepoints inside a transaction that can still be rolled back, the
connection settings, and writers in several threads at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, Integer, String, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from portal.db import make_engine


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)


@pytest.fixture
def engine(tmp_path: Path):
    made = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    _Base.metadata.create_all(made)
    yield made
    made.dispose()


def stored(engine: Engine) -> list[str]:
    with Session(engine) as fresh:
        return list(fresh.scalars(select(Row.name).order_by(Row.name)))


def test_an_outer_rollback_undoes_what_a_savepoint_released(engine):
    # The services' pattern: a read, then a write in a savepoint so a unique clash is
    # caught without losing the transaction; the request may still fail afterwards.
    with Session(engine) as session:
        session.scalar(select(func.count()).select_from(Row))
        with session.begin_nested():
            session.add(Row(name="first"))
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(Row(name="first"))
        session.rollback()
    assert stored(engine) == []


def test_a_commit_keeps_the_released_savepoint_and_drops_the_failed_one(engine):
    with Session(engine) as session:
        with session.begin_nested():
            session.add(Row(name="kept"))
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(Row(name="kept"))
        session.add(Row(name="after"))
        session.commit()
    assert stored(engine) == ["after", "kept"]


def test_the_connection_settings_hold(engine):
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_writers_in_several_threads_wait_for_each_other(engine):
    # Each reads, then writes, as a request does: the write must wait its turn, not
    # fail with "database is locked".
    threads, rounds = 4, 15
    failures: list[BaseException] = []
    start = threading.Barrier(threads)

    def write(worker: int) -> None:
        try:
            start.wait()
            for turn in range(rounds):
                with Session(engine) as session:
                    session.scalar(select(func.count()).select_from(Row))
                    with session.begin_nested():
                        session.add(Row(name=f"{worker}-{turn}"))
                    session.commit()
        except BaseException as error:  # reported by the main thread below
            failures.append(error)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    assert len(stored(engine)) == threads * rounds
