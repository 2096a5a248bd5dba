"""Puzzle hints: each hint a player takes, and the count on their solution.

Revision ID: b7d31f4e9a26
Revises: 5b7d3e9a2c64
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "b7d31f4e9a26"
down_revision = "5b7d3e9a2c64"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "puzzle_hints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("puzzle_id", sa.Integer(), nullable=False),
        sa.Column("player_key", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["puzzle_id"],
            ["puzzles.id"],
            name=op.f("fk_puzzle_hints_puzzle_id_puzzles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_puzzle_hints_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_puzzle_hints")),
    )
    op.create_index(
        "ix_puzzle_hints_puzzle_id_player_key", "puzzle_hints", ["puzzle_id", "player_key"]
    )
    with op.batch_alter_table("puzzle_solutions") as batch:
        batch.add_column(sa.Column("hints", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("puzzle_solutions") as batch:
        batch.drop_column("hints")
    op.drop_index("ix_puzzle_hints_puzzle_id_player_key", table_name="puzzle_hints")
    op.drop_table("puzzle_hints")
