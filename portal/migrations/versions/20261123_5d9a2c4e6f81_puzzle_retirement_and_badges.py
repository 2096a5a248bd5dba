"""puzzle retirement, intermediate level, player badges, flagged solutions

Revision ID: 5d9a2c4e6f81
Revises: 8e2f4b6a1c37
Create Date: 2026-11-23 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "5d9a2c4e6f81"
down_revision = "8e2f4b6a1c37"
branch_labels = None
depends_on = None

OLD_LEVELS = "level IN ('tutorial', 'beginner', 'expert')"
NEW_LEVELS = "level IN ('tutorial', 'beginner', 'intermediate', 'expert')"


def upgrade() -> None:
    # Batch mode, because SQLite can change a CHECK constraint only by
    # rebuilding the table.
    with op.batch_alter_table("puzzles") as batch:
        batch.add_column(
            sa.Column("retired_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("retired_reason", sa.String(length=200), nullable=False, server_default="")
        )
        batch.drop_constraint(op.f("ck_puzzles_level_known"), type_="check")
        batch.create_check_constraint(op.f("ck_puzzles_level_known"), NEW_LEVELS)
    with op.batch_alter_table("puzzles") as batch:
        batch.alter_column("retired_reason", server_default=None)
    with op.batch_alter_table("puzzle_solutions") as batch:
        batch.add_column(
            sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("puzzle_solutions") as batch:
        batch.alter_column("flagged", server_default=None)
    op.create_table(
        "player_badges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("badge", sa.String(length=40), nullable=False),
        sa.Column("puzzle_id", sa.Integer(), nullable=True),
        sa.Column("awarded_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["puzzle_id"],
            ["puzzles.id"],
            name=op.f("fk_player_badges_puzzle_id_puzzles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_player_badges_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_badges")),
        sa.UniqueConstraint("user_id", "badge", name=op.f("uq_player_badges_user_id_badge")),
    )
    op.create_index(op.f("ix_player_badges_user_id"), "player_badges", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_player_badges_user_id"), table_name="player_badges")
    op.drop_table("player_badges")
    with op.batch_alter_table("puzzle_solutions") as batch:
        batch.drop_column("flagged")
    op.execute("DELETE FROM puzzles WHERE level = 'intermediate'")
    with op.batch_alter_table("puzzles") as batch:
        batch.drop_constraint(op.f("ck_puzzles_level_known"), type_="check")
        batch.create_check_constraint(op.f("ck_puzzles_level_known"), OLD_LEVELS)
        batch.drop_column("retired_reason")
        batch.drop_column("retired_at")
