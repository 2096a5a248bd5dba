"""analysis runs

Revision ID: 78b2e99a96da
Revises: 099deb1bf3c9
Create Date: 2026-11-23 18:31:04.995518
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "78b2e99a96da"
down_revision = "099deb1bf3c9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("options_json", sa.Text(), nullable=False),
        sa.Column("harmonisation_json", sa.Text(), nullable=False),
        sa.Column("results_json", sa.Text(), nullable=False),
        sa.Column("software_json", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("error_study", sa.String(length=300), nullable=True),
        sa.Column("error_field", sa.String(length=120), nullable=True),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("rerun_of_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('aggregate', 'participant')", name=op.f("ck_analysis_runs_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'queued', 'running', 'finished', 'failed')",
            name=op.f("ck_analysis_runs_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_analysis_runs_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_analysis_runs_owner_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rerun_of_id"],
            ["analysis_runs.id"],
            name=op.f("fk_analysis_runs_rerun_of_id_analysis_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_runs")),
    )
    with op.batch_alter_table("analysis_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analysis_runs_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_analysis_runs_finished_at"), ["finished_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_analysis_runs_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_analysis_runs_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_analysis_runs_status"), ["status"], unique=False)

    op.create_table(
        "analysis_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_analysis_inputs_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_analysis_inputs_version_id_dataset_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_inputs")),
        sa.UniqueConstraint(
            "run_id", "version_id", name=op.f("uq_analysis_inputs_run_id_version_id")
        ),
    )
    with op.batch_alter_table("analysis_inputs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analysis_inputs_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_analysis_inputs_version_id"), ["version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("analysis_inputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analysis_inputs_version_id"))
        batch_op.drop_index(batch_op.f("ix_analysis_inputs_run_id"))

    op.drop_table("analysis_inputs")
    with op.batch_alter_table("analysis_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analysis_runs_status"))
        batch_op.drop_index(batch_op.f("ix_analysis_runs_owner_id"))
        batch_op.drop_index(batch_op.f("ix_analysis_runs_job_id"))
        batch_op.drop_index(batch_op.f("ix_analysis_runs_finished_at"))
        batch_op.drop_index(batch_op.f("ix_analysis_runs_created_at"))

    op.drop_table("analysis_runs")
