"""Run Alembic migrations against the app's database, from any folder."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")

# Search indexes live outside the ORM metadata (see the datasets migration), so
# autogenerate and the schema test must not offer to drop them.
UNMANAGED = ("datasets_fts", "ix_datasets_fulltext")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (name or "").startswith(UNMANAGED)


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app.config["DATABASE_URL"]), revision)


def downgrade(app: Flask, revision: str) -> None:
    command.downgrade(alembic_config(app.config["DATABASE_URL"]), revision)


def current(app: Flask) -> None:
    command.current(alembic_config(app.config["DATABASE_URL"]), verbose=True)


def revision(app: Flask, message: str, autogenerate: bool = True) -> None:
    command.revision(
        alembic_config(app.config["DATABASE_URL"]), message=message, autogenerate=autogenerate
    )
