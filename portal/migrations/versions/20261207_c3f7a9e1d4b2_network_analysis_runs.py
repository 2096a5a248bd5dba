"""A network meta-analysis is a kind of analysis run.

Revision ID: c3f7a9e1d4b2
Revises: b7d31f4e9a26
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "c3f7a9e1d4b2"
down_revision = "b7d31f4e9a26"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analysis_runs") as batch:
        batch.drop_constraint(op.f("ck_analysis_runs_kind_known"), type_="check")
        batch.create_check_constraint(
            op.f("ck_analysis_runs_kind_known"), "kind IN ('aggregate', 'participant', 'network')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM analysis_runs WHERE kind = 'network'")
    with op.batch_alter_table("analysis_runs") as batch:
        batch.drop_constraint(op.f("ck_analysis_runs_kind_known"), type_="check")
        batch.create_check_constraint(
            op.f("ck_analysis_runs_kind_known"), "kind IN ('aggregate', 'participant')"
        )
