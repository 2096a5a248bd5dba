"""Suite-wide settings: which database backends the database tests run on.

Every database test runs on SQLite. With PORTAL_TEST_DATABASE_URL set (CI sets it),
each also runs on PostgreSQL; an unreachable server then fails the run at once.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

pytest_plugins = ["tests.portal.fixtures"]

POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_report_header(config: pytest.Config) -> str:
    where = (
        f" ({POSTGRES_URL})"
        if POSTGRES_URL
        else " (set PORTAL_TEST_DATABASE_URL to add PostgreSQL)"
    )
    return f"database backends: {', '.join(BACKENDS)}{where}"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not POSTGRES_URL:
        if os.environ.get("CI") == "true":
            pytest.exit(
                "CI=true but PORTAL_TEST_DATABASE_URL is not set: the suite must run "
                "on PostgreSQL in CI.",
                returncode=3,
            )
        return
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure to connect ends the run
        pytest.exit(
            f"PORTAL_TEST_DATABASE_URL is set but PostgreSQL cannot be reached at "
            f"{POSTGRES_URL}: {type(error).__name__}: {error}",
            returncode=3,
        )
