"""Living analyses: members follow an analysis, and notifications can point at a run.

Revision ID: 7e4b2a9c1d35
Revises: 3c5e8a1f0b27
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "7e4b2a9c1d35"
down_revision = "3c5e8a1f0b27"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified_through", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_analysis_follows_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_analysis_follows_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_follows")),
        sa.UniqueConstraint("run_id", "user_id", name=op.f("uq_analysis_follows_run_id_user_id")),
    )
    with op.batch_alter_table("analysis_follows") as batch:
        batch.create_index(batch.f("ix_analysis_follows_run_id"), ["run_id"])
        batch.create_index(batch.f("ix_analysis_follows_user_id"), ["user_id"])
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_notifications_run_id_analysis_runs"),
            "analysis_runs",
            ["run_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(batch.f("fk_notifications_run_id_analysis_runs"), type_="foreignkey")
        batch.drop_column("run_id")
    op.drop_table("analysis_follows")
