"""one puzzle per alignment, level and window

Revision ID: 4c8e1f2a7b90
Revises: 9b7c1d3e5a42
Create Date: 2026-11-24 01:20:00

Puzzles are re-cut by a periodic task that may run in several web processes at
once; on SQLite nothing else stops two of them storing the same (deterministic)
cut, so the database refuses the second.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4c8e1f2a7b90"
down_revision = "9b7c1d3e5a42"
branch_labels = None
depends_on = None

COLUMNS = ["alignment_id", "level", "source_start", "source_end"]
NAME = "uq_puzzles_alignment_id_level_source_start_source_end"


def upgrade() -> None:
    # Checked first, so that a database holding two puzzles for one window stops
    # with a reason instead of a half-rebuilt table.
    twins = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT alignment_id, level, source_start, source_end FROM puzzles"
                " WHERE alignment_id IS NOT NULL"
                " GROUP BY alignment_id, level, source_start, source_end HAVING COUNT(*) > 1"
            )
        )
        .fetchall()
    )
    if twins:
        raise RuntimeError(
            "These (alignment_id, level, source_start, source_end) have more than one puzzle;"
            f" retire and delete the extra ones, then upgrade again: {twins}"
        )
    with op.batch_alter_table("puzzles") as batch:
        batch.create_unique_constraint(NAME, COLUMNS)


def downgrade() -> None:
    with op.batch_alter_table("puzzles") as batch:
        batch.drop_constraint(NAME, type_="unique")
