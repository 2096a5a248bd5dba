"""question links to datasets and analysis runs

A researcher's confirmed (or rejected) dataset suggestions for a question, and the
analysis runs made for or answering a question; both unique per pair.

Revision ID: 9b7c1d3e5a42
Revises: 5d9a2c4e6f81
Create Date: 2026-11-23 20:44:43.461508
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "9b7c1d3e5a42"
down_revision = "5d9a2c4e6f81"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("matched", sa.String(length=500), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('confirmed', 'rejected')",
            name=op.f("ck_question_datasets_decision_known"),
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_question_datasets_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_question_datasets_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_datasets_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_datasets")),
        sa.UniqueConstraint(
            "question_id", "dataset_id", name=op.f("uq_question_datasets_question_id_dataset_id")
        ),
    )
    with op.batch_alter_table("question_datasets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_datasets_dataset_id"), ["dataset_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_question_datasets_question_id"), ["question_id"], unique=False
        )

    op.create_table(
        "question_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('analysis', 'answer')", name=op.f("ck_question_runs_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"],
            ["users.id"],
            name=op.f("fk_question_runs_linked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_runs_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_question_runs_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_runs")),
        sa.UniqueConstraint(
            "question_id", "run_id", name=op.f("uq_question_runs_question_id_run_id")
        ),
    )
    with op.batch_alter_table("question_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_runs_question_id"), ["question_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_question_runs_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("question_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_runs_run_id"))
        batch_op.drop_index(batch_op.f("ix_question_runs_question_id"))

    op.drop_table("question_runs")
    with op.batch_alter_table("question_datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_datasets_question_id"))
        batch_op.drop_index(batch_op.f("ix_question_datasets_dataset_id"))

    op.drop_table("question_datasets")
