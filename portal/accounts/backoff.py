"""Back-off after failed logins, keyed on the account whatever spelling is typed.

"Alice", "alice" and "alice@example.org" are one account, so they share one count.
A login that names no account is counted under its spelling instead, so the answers
(and the waits) are the same whether an account exists or not. After
LOGIN_BACKOFF_AFTER failures in a row, each next try must wait 2, 4, 8... seconds
after the last failure, up to LOGIN_BACKOFF_MAX_SECONDS; a success clears the count.
The per-address limits of Flask-Limiter apply on top.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.accounts.models import LoginFailures, User
from portal.db import rows_changed
from portal.upsert import insert

KEY_MAX = 300


def key_for(user: User | None, login: str) -> str:
    if user is not None:
        return f"user:{user.id}"
    return "login:" + login.strip().lower()[: KEY_MAX - 6]


def wait_for(failures: int, *, after: int, longest: int) -> timedelta:
    """How long after the last failure the next try must wait."""
    if failures < after:
        return timedelta(0)
    # The exponent is capped before the power: a huge count must not build a huge int.
    exponent = min(failures - after + 1, 30)
    return timedelta(seconds=min(2**exponent, longest))


def retry_at(db: Session, key: str) -> datetime | None:
    """When the next try on ``key`` is allowed, if it is not allowed now."""
    row = db.get(LoginFailures, key)
    if row is None:
        return None
    config = current_app.config
    wait = wait_for(
        row.failures,
        after=config["LOGIN_BACKOFF_AFTER"],
        longest=config["LOGIN_BACKOFF_MAX_SECONDS"],
    )
    return row.last_failed_at + wait if wait else None


def record_failure(db: Session, key: str, now: datetime) -> None:
    """Count one more failure, atomically even when attempts race."""
    statement = insert(db, LoginFailures).values(key=key, failures=1, last_failed_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={"failures": LoginFailures.failures + 1, "last_failed_at": now},
    )
    db.execute(statement)


def clear(db: Session, key: str) -> None:
    db.execute(delete(LoginFailures).where(LoginFailures.key == key))


def failures(db: Session, key: str) -> int:
    return db.scalar(select(LoginFailures.failures).where(LoginFailures.key == key)) or 0


#: A count with no new failure for this long starts again from nothing.
FORGET_AFTER = timedelta(days=1)


def forget_old(db: Session, now: datetime) -> int:
    """Delete counts idle for FORGET_AFTER, so names typed once do not pile up."""
    return rows_changed(
        db, delete(LoginFailures).where(LoginFailures.last_failed_at < now - FORGET_AFTER)
    )
