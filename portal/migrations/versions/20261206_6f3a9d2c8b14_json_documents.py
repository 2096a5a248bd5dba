"""JSON documents in typed columns instead of text: JSON on SQLite, JSONB on PostgreSQL.

Each ``<name>_json`` text column becomes a ``<name>`` JSON column holding the same
document. Values are parsed in Python rather than cast by the database, so a document
written with a bare NaN or Infinity (which JSON, and JSONB, refuse) is kept, with
those numbers as null. The datasets table is rebuilt on SQLite, which drops its
full-text triggers: they are put back after.

Revision ID: 6f3a9d2c8b14
Revises: 4c8e1f2a7b90
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "6f3a9d2c8b14"
down_revision = "4c8e1f2a7b90"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")

#: table -> [(old text column, new JSON column, the document of an empty value)]
COLUMNS: dict[str, list[tuple[str, str, Any]]] = {
    "jobs": [("payload_json", "payload", {}), ("result_json", "result", {})],
    "analysis_runs": [
        ("options_json", "options", {}),
        ("harmonisation_json", "harmonisation", {}),
        ("results_json", "results", {}),
        ("software_json", "software", {}),
    ],
    "alignment_sources": [
        ("names_json", "names", []),
        ("rows_json", "rows", []),
        ("original_json", "original_rows", []),
    ],
    "puzzles": [
        ("scheme_json", "scheme", {}),
        ("names_json", "names", []),
        ("sequences_json", "sequences", []),
        ("start_json", "start", []),
        ("par_json", "par_layout", []),
        ("source_rows_json", "source_rows", []),
    ],
    "puzzle_solutions": [("rows_json", "rows", [])],
    "datasets": [("metadata_json", "metadata", {})],
    "dataset_versions": [
        ("dialect_json", "dialect", {}),
        ("schema_json", "schema", {}),
        ("report_json", "report", {}),
        ("screening_json", "screening", {}),
        ("preview_json", "preview", []),
        ("fixes_json", "fixes", []),
        ("quasi_identifiers_json", "quasi_identifiers", []),
    ],
    "audit_events": [("details_json", "details", {})],
}

#: The full-text triggers on datasets (SQLite), as the datasets migration made them.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER datasets_fts_insert AFTER INSERT ON datasets BEGIN "
    "INSERT INTO datasets_fts(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
    "CREATE TRIGGER datasets_fts_delete AFTER DELETE ON datasets BEGIN "
    "INSERT INTO datasets_fts(datasets_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); END",
    "CREATE TRIGGER datasets_fts_update AFTER UPDATE ON datasets BEGIN "
    "INSERT INTO datasets_fts(datasets_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
    "INSERT INTO datasets_fts(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
]
TRIGGER_NAMES = ("datasets_fts_insert", "datasets_fts_delete", "datasets_fts_update")
BATCH = 1000


def finite(value: Any) -> Any:
    """The document with every NaN and infinity as null (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [finite(item) for item in value]
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    return value


def _copy(table: str, pairs: list[tuple[str, str, Any]], *, to_json: bool) -> None:
    connection = op.get_bind()
    sources = [old if to_json else new for old, new, _ in pairs]
    targets = [new if to_json else old for old, new, _ in pairs]
    kind = JSON_DOCUMENT if to_json else sa.Text()
    target = sa.table(table, sa.column("id"), *(sa.column(c, kind) for c in targets))
    update = (
        target.update()
        .where(target.c.id == sa.bindparam("row_id"))
        .values({c: sa.bindparam(f"v_{c}") for c in targets})
    )
    reads = sa.table(
        table,
        sa.column("id"),
        *(sa.column(c, sa.Text() if to_json else JSON_DOCUMENT) for c in sources),
    )
    result = connection.execute(sa.select(reads.c.id, *(reads.c[c] for c in sources)))
    while chunk := result.fetchmany(BATCH):
        values = []
        for row in chunk:
            item: dict[str, Any] = {"row_id": row[0]}
            for (_, _, empty), column, value in zip(pairs, targets, row[1:], strict=True):
                if to_json:
                    item[f"v_{column}"] = finite(json.loads(value)) if value else empty
                else:
                    item[f"v_{column}"] = json.dumps(value if value is not None else empty)
            values.append(item)
        connection.execute(update, values)


def _without_fts_triggers(table: str) -> bool:
    if table != "datasets" or op.get_bind().dialect.name != "sqlite":
        return False
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    return True


def _restore_fts_triggers() -> None:
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    for table, pairs in COLUMNS.items():
        for _, new, _ in pairs:
            op.add_column(table, sa.Column(new, JSON_DOCUMENT, nullable=True))
        _copy(table, pairs, to_json=True)
        dropped = _without_fts_triggers(table)
        with op.batch_alter_table(table) as batch:
            for old, new, _ in pairs:
                batch.drop_column(old)
                batch.alter_column(new, existing_type=JSON_DOCUMENT, nullable=False)
        if dropped:
            _restore_fts_triggers()


def downgrade() -> None:
    for table, pairs in COLUMNS.items():
        for old, _, _ in pairs:
            op.add_column(table, sa.Column(old, sa.Text(), nullable=True))
        _copy(table, pairs, to_json=False)
        dropped = _without_fts_triggers(table)
        with op.batch_alter_table(table) as batch:
            for old, new, _ in pairs:
                batch.drop_column(new)
                batch.alter_column(old, existing_type=sa.Text(), nullable=False)
        if dropped:
            _restore_fts_triggers()
