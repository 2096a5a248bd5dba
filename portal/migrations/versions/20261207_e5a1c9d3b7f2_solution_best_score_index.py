"""Solutions indexed by puzzle and score, so a puzzle's best score is read from the index;
it replaces the index on the puzzle alone, whose lookups it serves as well.

Revision ID: e5a1c9d3b7f2
Revises: d4e8b1c6a973
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "e5a1c9d3b7f2"
down_revision = "d4e8b1c6a973"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_puzzle_solutions_puzzle_id_score", "puzzle_solutions", ["puzzle_id", "score"]
    )
    op.drop_index("ix_puzzle_solutions_puzzle_id", table_name="puzzle_solutions")


def downgrade() -> None:
    op.create_index("ix_puzzle_solutions_puzzle_id", "puzzle_solutions", ["puzzle_id"])
    op.drop_index("ix_puzzle_solutions_puzzle_id_score", table_name="puzzle_solutions")
