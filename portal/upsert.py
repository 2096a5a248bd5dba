"""INSERT ... ON CONFLICT for the session's database (PostgreSQL or SQLite).

Uniqueness races (two tabs, fifty requests) are settled by the database's unique
constraints: the losing INSERT does nothing instead of failing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert(db: Session | str, model: Any):
    """INSERT for ``db``'s database (a session, or a dialect name)."""
    dialect = db if isinstance(db, str) else db.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert(model)
    return sqlite_insert(model)
