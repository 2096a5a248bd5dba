"""Consensus splicing: which puzzle and method made each alignment change, every
player credited for it with their share of the votes, and each window's latest
consensus with its per-column agreement.

Revision ID: d4e8b1c6a973
Revises: c3f7a9e1d4b2
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import portal.db

revision = "d4e8b1c6a973"
down_revision = "c3f7a9e1d4b2"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("alignment_changes") as batch:
        batch.add_column(sa.Column("puzzle_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("method", sa.String(length=16), nullable=False, server_default="best")
        )
        batch.add_column(sa.Column("kept", sa.Integer(), nullable=False, server_default="1"))
        batch.create_foreign_key(
            op.f("fk_alignment_changes_puzzle_id_puzzles"),
            "puzzles",
            ["puzzle_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_alignment_changes_puzzle_id"), ["puzzle_id"])
    op.create_table(
        "alignment_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("solution_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("player_key", sa.String(length=80), nullable=False),
        sa.Column("nickname", sa.String(length=32), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["alignment_changes.id"],
            name=op.f("fk_alignment_credits_change_id_alignment_changes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["solution_id"],
            ["puzzle_solutions.id"],
            name=op.f("fk_alignment_credits_solution_id_puzzle_solutions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_alignment_credits_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alignment_credits")),
    )
    op.create_index(op.f("ix_alignment_credits_change_id"), "alignment_credits", ["change_id"])
    op.create_index(op.f("ix_alignment_credits_solution_id"), "alignment_credits", ["solution_id"])
    op.create_index(op.f("ix_alignment_credits_user_id"), "alignment_credits", ["user_id"])
    op.create_table(
        "window_consensus",
        sa.Column("puzzle_id", sa.Integer(), nullable=False),
        sa.Column("alignment_id", sa.Integer(), nullable=False),
        sa.Column("rows", JSON_DOCUMENT, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("best_score", sa.Float(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("agreement", JSON_DOCUMENT, nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["puzzle_id"],
            ["puzzles.id"],
            name=op.f("fk_window_consensus_puzzle_id_puzzles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["alignment_id"],
            ["alignment_sources.id"],
            name=op.f("fk_window_consensus_alignment_id_alignment_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("puzzle_id", name=op.f("pk_window_consensus")),
    )
    op.create_index(op.f("ix_window_consensus_alignment_id"), "window_consensus", ["alignment_id"])
    # Changes spliced before consensus each credit their one solution in full.
    op.execute(
        "UPDATE alignment_changes SET puzzle_id = (SELECT s.puzzle_id FROM puzzle_solutions s"
        " WHERE s.id = alignment_changes.solution_id) WHERE solution_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO alignment_credits"
        " (change_id, solution_id, user_id, player_key, nickname, share, created_at)"
        " SELECT c.id, s.id, s.user_id, s.player_key, s.nickname, 1.0, c.created_at"
        " FROM alignment_changes c JOIN puzzle_solutions s ON s.id = c.solution_id"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_window_consensus_alignment_id"), table_name="window_consensus")
    op.drop_table("window_consensus")
    op.drop_index(op.f("ix_alignment_credits_user_id"), table_name="alignment_credits")
    op.drop_index(op.f("ix_alignment_credits_solution_id"), table_name="alignment_credits")
    op.drop_index(op.f("ix_alignment_credits_change_id"), table_name="alignment_credits")
    op.drop_table("alignment_credits")
    with op.batch_alter_table("alignment_changes") as batch:
        batch.drop_index(op.f("ix_alignment_changes_puzzle_id"))
        batch.drop_constraint(op.f("fk_alignment_changes_puzzle_id_puzzles"), type_="foreignkey")
        batch.drop_column("kept")
        batch.drop_column("method")
        batch.drop_column("puzzle_id")
