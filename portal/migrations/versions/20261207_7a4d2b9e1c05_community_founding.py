"""Communities: proposed by members and decided by site admins, with rules, settings
chosen by their moderators, and archiving.

Communities that exist before this revision are active, with the site's defaults.

Revision ID: 7a4d2b9e1c05
Revises: 7e4b2a9c1d35
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "7a4d2b9e1c05"
down_revision = "7e4b2a9c1d35"
branch_labels = None
depends_on = None

STATUSES = "status IN ('proposed', 'active', 'declined', 'merged', 'archived')"
PROPOSERS = "question_proposers IN ('members', 'trusted', 'moderators')"
FLOOR = "min_reporters IS NULL OR min_reporters >= 2"


def upgrade() -> None:
    with op.batch_alter_table("communities") as batch:
        batch.add_column(
            sa.Column("condition_code", sa.String(length=16), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("audience", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("rules", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="active")
        )
        batch.add_column(sa.Column("founder_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("decided_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("decision_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("archived_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "question_proposers",
                sa.String(length=16),
                nullable=False,
                server_default="members",
            )
        )
        batch.add_column(
            sa.Column(
                "stakeholders",
                sa.String(length=64),
                nullable=False,
                server_default="patient,carer,clinician",
            )
        )
        batch.add_column(sa.Column("min_reporters", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "membership_visible_default",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch.create_index(op.f("ix_communities_status"), ["status"], unique=False)
        batch.create_foreign_key(
            op.f("fk_communities_founder_id_users"),
            "users",
            ["founder_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            op.f("fk_communities_decided_by_id_users"),
            "users",
            ["decided_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            op.f("fk_communities_merged_into_id_communities"),
            "communities",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_check_constraint(op.f("ck_communities_status_known"), STATUSES)
        batch.create_check_constraint(op.f("ck_communities_question_proposers_known"), PROPOSERS)
        batch.create_check_constraint(op.f("ck_communities_min_reporters_floor"), FLOOR)


def downgrade() -> None:
    with op.batch_alter_table("communities") as batch:
        batch.drop_constraint(op.f("ck_communities_min_reporters_floor"), type_="check")
        batch.drop_constraint(op.f("ck_communities_question_proposers_known"), type_="check")
        batch.drop_constraint(op.f("ck_communities_status_known"), type_="check")
        batch.drop_constraint(op.f("fk_communities_merged_into_id_communities"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_communities_decided_by_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_communities_founder_id_users"), type_="foreignkey")
        batch.drop_index(op.f("ix_communities_status"))
        for column in (
            "membership_visible_default",
            "min_reporters",
            "stakeholders",
            "question_proposers",
            "archived_at",
            "merged_into_id",
            "decision_reason",
            "decided_at",
            "decided_by_id",
            "founder_id",
            "status",
            "rules",
            "audience",
            "condition_code",
        ):
            batch.drop_column(column)
