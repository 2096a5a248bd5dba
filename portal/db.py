"""The database: one engine per app, one session per request (or job).

Services receive a session and never commit; whoever owns the unit of work (the
request handler, a CLI command, a job) commits or rolls back.
"""

from __future__ import annotations

import enum
import functools
import json
import math
import time
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from flask import Flask, current_app, g
from sqlalchemy import JSON, DateTime, MetaData, String, create_engine, event, exc
from sqlalchemy import inspect as inspect_mapper
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic can alter and drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    SQLite drops the zone; PostgreSQL keeps it. Normalising here means code
    compares datetimes the same way on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=enum.StrEnum)


class StrEnumType(TypeDecorator[E], Generic[E]):
    """A string column that holds one of a StrEnum's values and reads back the member.

    The table keeps plain text (and its CHECK constraint lists the values), so a value
    added to the enum needs a migration of the constraint only.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[E], length: int = 16) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.enum_class(value)


#: A JSON document: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
#: JSONB does not keep the order of an object's keys: where order matters, store a list.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while a writer commits; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_savepoint(connection: Connection, _name: str | None) -> None:
    # pysqlite begins nothing before a SAVEPOINT, and SQLite then runs the savepoint as
    # the transaction itself: releasing it would commit, out of the session's reach.
    # SQLAlchemy's documented remedy (pysqlite begins nothing, a "begin" listener emits
    # BEGIN) opens every transaction at its first read, so a session that reads, then
    # writes after another thread committed, fails "database is locked" at once. Beginning
    # here, IMMEDIATE so the write lock is waited for (busy_timeout) rather than upgraded
    # later, keeps reads outside transactions as pysqlite has them.
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value


def dump_document(value: Any) -> str:
    """A JSON document's text as stored: keys sorted, so a value always reads the same;
    NaN and infinity as null (JSON has no such numbers, and JSONB refuses them); dates
    and other values JSON lacks as their text."""
    return json.dumps(_finite(value), sort_keys=True, default=str, allow_nan=False)


#: A pooled connection idle longer than this is tested before it is handed out.
PING_AFTER_IDLE = 1.0


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Test a pooled connection before use only if it sat idle over ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` tests every checkout: one more round trip for
    every request, a fifth of a submission's on PostgreSQL. What it guards against, a server
    restart or failover that closed connections while they sat in the pool, needs
    the test only for a connection that sat there: one returned a moment ago was
    working a moment ago, and if the server goes in between, the failing statement
    makes SQLAlchemy invalidate the whole pool as it would without any test.
    A connection that fails the test is replaced: raising ``DisconnectionError``
    from the checkout event makes the pool open another (SQLAlchemy's documented
    way for a custom pessimistic test)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        # A connection just opened has not sat idle: nothing to test.
        if returned is None or time.monotonic() - returned <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            record.info.pop("returned_at", None)
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # The server went away: every connection pooled before now is dead
                # too, those returned within the last second included, so the pool
                # starts afresh, as SQLAlchemy's own pre-ping does.
                raise exc.InvalidatePoolError(str(error)) from error
            raise exc.DisconnectionError(str(error)) from error


def make_engine(
    url: str,
    pool_size: int = 5,
    *,
    max_overflow: int | None = None,
    pool_pre_ping: bool = True,
    pool_recycle: int = 1800,
    ping_after_idle: float = PING_AFTER_IDLE,
) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            json_serializer=dump_document,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _sqlite_savepoint)
        return engine
    engine = create_engine(
        url,
        json_serializer=dump_document,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_recycle=pool_recycle,
    )
    if pool_pre_ping:
        # A connection the server dropped (restart, failover) is replaced, not handed out.
        _ping_when_idle(engine, ping_after_idle)
    return engine


class Database:
    """Flask extension holding the engine and handing out request sessions."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        # Size the pool to the threads of one process: gunicorn threads plus job threads.
        engine = make_engine(
            app.config["DATABASE_URL"],
            app.config["DB_POOL_SIZE"],
            max_overflow=app.config["DB_MAX_OVERFLOW"],
            pool_pre_ping=app.config["DB_POOL_PRE_PING"],
            pool_recycle=app.config["DB_POOL_RECYCLE"],
        )
        app.extensions["portal.db"] = _State(engine, sessionmaker(engine, expire_on_commit=False))
        app.teardown_appcontext(_close_session)


class _State:
    def __init__(self, engine: Engine, factory: sessionmaker[Session]) -> None:
        self.engine = engine
        self.factory = factory


def _state() -> _State:
    return current_app.extensions["portal.db"]


def engine() -> Engine:
    return _state().engine


M = TypeVar("M")


@functools.cache
def _column_keys(kind: Any) -> frozenset[str]:
    return frozenset(inspect_mapper(kind).column_attrs.keys())


def attach_loaded(session: Session, kind: type[M], columns: dict[str, Any]) -> M:
    """``session``'s instance of the ``kind`` row whose values (primary key
    included) are ``columns``, as if the session had just loaded it, without
    asking the database. For the busiest paths, which read a row as plain
    columns (or keep a copy for a second) because the ORM's loading costs more
    Python than the query: the values are set as loaded, not as changes to
    flush; columns left out load on first access, as deferred ones do. If the
    session holds the row already, that instance is returned as it is, its
    values not replaced by ``columns``: callers read rows their session has not."""
    unknown = columns.keys() - _column_keys(cast(Any, kind))
    if unknown:  # written into the instance as they are, so a stray name must not pass
        raise TypeError(f"{kind.__name__} has no column attributes {sorted(unknown)}")
    key = identity_key(kind, tuple(columns[c.key] for c in inspect_mapper(kind).primary_key))
    held = session.identity_map.get(key)
    if held is not None:
        return held
    instance = manager_of_class(kind).new_instance()
    # Written where the ORM's loading writes a row's values; making the instance
    # detached then marks them all as committed and the columns left out as expired.
    instance_state(instance).dict.update(columns)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def rows_changed(session: Session, statement: Executable) -> int:
    """How many rows an UPDATE or DELETE changed (a conditional write's verdict)."""
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def session() -> Session:
    """The session of the current request, created on first use."""
    if "db_session" not in g:
        g.db_session = _state().factory()
    return g.db_session


def new_session() -> Session:
    """A session independent of the request, for threads and jobs."""
    return _state().factory()


def _close_session(exc: BaseException | None) -> None:
    db_session: Session | None = g.pop("db_session", None)
    if db_session is None:
        return
    if exc is not None:
        db_session.rollback()
    db_session.close()
