"""The move from JSON text columns to JSON documents keeps the data a database holds.

A database is built at the revision before the move, filled with rows whose text
columns hold documents (one with a bare NaN, as Python's json module writes it),
then upgraded: every document reads back as it was, NaN as null. Downgraded, the
text is back; upgraded again, nothing is lost. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, inspect, text

from portal.migrate import alembic_config
from tests.conftest import BACKENDS, POSTGRES_URL

BEFORE = "4c8e1f2a7b90"
MOVE = "6f3a9d2c8b14"

#: The documents each table's rows hold, by old column (its new name in MOVED).
DOCUMENTS = {
    "jobs": {
        "payload_json": {"upload": "/x.csv", "metadata": {"title": "T", "n": [1, 2]}},
        "result_json": {"url": "/datasets/t", "rows": 12},
    },
    "analysis_runs": {
        "options_json": {"hk": False, "level": 0.95, "filters": [{"column": "age"}]},
        "harmonisation_json": {"columns": {"ai": "tpos"}, "study": "author"},
        "results_json": {"pooled": {"estimate": -0.71, "tau2": 0.3}, "kind": "aggregate"},
        "software_json": {"python": "3.11"},
    },
    "datasets": {"metadata_json": {"title": "T", "creators": [{"name": "Ada"}]}},
    "dataset_versions": {
        "dialect_json": {"delimiter": ","},
        "schema_json": {"fields": [{"name": "age", "type": "integer"}]},
        "report_json": {"valid": True, "columns": [{"name": "age", "mean": float("nan")}]},
        "screening_json": {"blocking": False},
        "preview_json": [["age"], ["41"], [None]],
        "fixes_json": [{"fix": "drop", "column": "name"}],
        "quasi_identifiers_json": ["age"],
    },
    "alignment_sources": {
        "names_json": ["a", "b"],
        "rows_json": ["AC-GT", "ACGGT"],
        "original_json": ["AC-GT", "ACGGT"],
    },
    "puzzles": {
        "scheme_json": {"match": 1, "mismatch": -1},
        "names_json": ["a", "b"],
        "sequences_json": ["ACGT", "ACGGT"],
        "start_json": ["AC-GT", "ACGGT"],
        "par_json": ["ACG-T", "ACGGT"],
        "source_rows_json": [0, 1],
    },
    "puzzle_solutions": {"rows_json": ["ACG-T", "ACGGT"]},
    "audit_events": {"details_json": {"version": 2, "sha256": "ab"}},
}
MOVED = {"original_json": "original_rows", "par_json": "par_layout", "metadata_json": "metadata"}

#: Values the tables' CHECK constraints and foreign keys need.
FIXED = {
    "users": {"id": 1, "role": "member"},
    "datasets": {"id": 1, "owner_id": 1, "level": "aggregate"},
    "dataset_versions": {"id": 1, "dataset_id": 1},
    "jobs": {"id": "a" * 32, "state": "finished", "owner_id": 1},
    "analysis_runs": {"id": 1, "owner_id": 1, "kind": "aggregate", "status": "finished"},
    "alignment_sources": {"id": 1, "kind": "dna"},
    "puzzles": {"id": 1, "alignment_id": 1, "kind": "dna", "level": "beginner"},
    "puzzle_solutions": {"id": 1, "puzzle_id": 1, "user_id": 1},
    "audit_events": {"id": 1, "actor_id": 1},
}


def new_name(old: str) -> str:
    return MOVED.get(old, old.removesuffix("_json"))


def as_read(document):
    """What a document is once stored as JSON: NaN is null."""
    return json.loads(json.dumps(document).replace("NaN", "null"))


def _filler(column: dict):
    kind = column["type"]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Float | sa.Numeric):
        return 1
    if isinstance(kind, sa.Date) and not isinstance(kind, sa.DateTime):
        return date(2026, 1, 1)
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1, tzinfo=UTC)
    return "x"


@pytest.fixture(params=BACKENDS)
def fresh_url(request, tmp_path) -> Iterator[str]:
    """An empty database of its own on one backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'held.db'}"
        return
    name = f"held_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def _fill(url: str) -> None:
    engine = create_engine(url)
    found = inspect(engine)
    with engine.begin() as connection:
        for table in FIXED:
            values = dict(FIXED[table])
            for old, document in DOCUMENTS.get(table, {}).items():
                values[old] = json.dumps(document)  # allow_nan: a bare NaN, as held
            for column in found.get_columns(table):
                name = column["name"]
                if name not in values and not column["nullable"] and column["default"] is None:
                    values[name] = _filler(column)
            names = ", ".join(values)
            marks = ", ".join(f":{name}" for name in values)
            connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)
    engine.dispose()


def _read(url: str, table: str, columns: list[str]) -> dict:
    engine = create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(text(f"SELECT {', '.join(columns)} FROM {table}")).one()
    engine.dispose()
    return dict(zip(columns, row, strict=True))


def test_held_documents_move_to_json_columns_and_back(fresh_url):
    config = alembic_config(fresh_url)
    command.upgrade(config, BEFORE)
    _fill(fresh_url)

    command.upgrade(config, MOVE)
    for table, documents in DOCUMENTS.items():
        new = {new_name(old): document for old, document in documents.items()}
        held = _read(fresh_url, table, list(new))
        for column, document in new.items():
            value = held[column]
            value = json.loads(value) if isinstance(value, str) else value
            assert value == as_read(document), (table, column)

    command.downgrade(config, BEFORE)
    for table, documents in DOCUMENTS.items():
        held = _read(fresh_url, table, list(documents))
        for column, document in documents.items():
            assert json.loads(held[column]) == as_read(document), (table, column)

    command.upgrade(config, "head")
    held = _read(fresh_url, "dataset_versions", ["report"])["report"]
    held = json.loads(held) if isinstance(held, str) else held
    assert held["columns"][0] == {"name": "age", "mean": None}


def test_search_still_finds_datasets_after_the_move_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'search.db'}"
    config = alembic_config(url)
    command.upgrade(config, BEFORE)
    _fill(url)
    command.upgrade(config, "head")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE datasets SET title = 'Tuberculosis vaccine trials'"))
        found = connection.execute(
            text("SELECT rowid FROM datasets_fts WHERE datasets_fts MATCH 'tuberculosis'")
        ).all()
    engine.dispose()
    assert found == [(1,)]
