"""A pooled PostgreSQL connection is tested before use only after sitting idle, and
one the server closed meanwhile is replaced instead of failing the request."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, text

from portal.db import make_engine
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs PORTAL_TEST_DATABASE_URL")


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _pings(engine) -> list[int]:
    seen: list[int] = []
    original = engine.dialect.do_ping

    def counting(dbapi_connection) -> bool:
        seen.append(1)
        return original(dbapi_connection)

    engine.dialect.do_ping = counting  # type: ignore[method-assign]
    return seen


def test_a_connection_back_a_moment_ago_is_handed_out_without_a_round_trip():
    engine = make_engine(POSTGRES_URL, 1, max_overflow=0, ping_after_idle=3600)
    try:
        pings = _pings(engine)
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first
        assert pings == []
    finally:
        engine.dispose()


def test_an_idle_connection_the_server_closed_is_replaced():
    engine = make_engine(POSTGRES_URL, 1, max_overflow=0, ping_after_idle=0)
    killer = make_engine(POSTGRES_URL, 1, max_overflow=0, pool_pre_ping=False)
    try:
        pings = _pings(engine)
        first = _backend_pid(engine)
        with killer.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        reconnects: list[int] = []
        event.listen(engine, "connect", lambda *_args: reconnects.append(1))
        # Without the test this statement would fail: its connection is gone.
        second = _backend_pid(engine)
        assert second != first
        assert pings and reconnects == [1]
    finally:
        engine.dispose()
        killer.dispose()


def test_a_server_gone_away_empties_the_whole_pool_not_only_the_tested_connection():
    # One connection sat idle, the other came back a moment ago and is not tested:
    # once the test of the first finds the server gone, neither may be handed out.
    engine = make_engine(POSTGRES_URL, 2, max_overflow=0, ping_after_idle=0.5)
    killer = make_engine(POSTGRES_URL, 1, max_overflow=0, pool_pre_ping=False)
    try:
        idle = engine.connect()
        recent = engine.connect()
        old_pids = {c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (idle, recent)}
        idle.close()
        time.sleep(0.6)
        recent.close()
        with killer.connect() as connection:
            for pid in old_pids:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # The pool hands out the longest-returned first: the idle one, tested and found dead.
        with engine.connect() as first, engine.connect() as second:
            pids = {
                c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (first, second)
            }
        assert not pids & old_pids
    finally:
        engine.dispose()
        killer.dispose()


def test_without_pre_ping_nothing_is_tested():
    engine = make_engine(POSTGRES_URL, 1, max_overflow=0, pool_pre_ping=False, ping_after_idle=0)
    try:
        pings = _pings(engine)
        _backend_pid(engine)
        _backend_pid(engine)
        assert pings == []
    finally:
        engine.dispose()
