"""treatment reports

Revision ID: 8e2f4b6a1c37
Revises: 3c1e5a7b9d20
Create Date: 2026-11-23 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "8e2f4b6a1c37"
down_revision = "3c1e5a7b9d20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('drug', 'non-drug')", name=op.f("ck_treatments_kind_known")),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'rejected')",
            name=op.f("ck_treatments_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_treatments_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name=op.f("fk_treatments_proposed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatments")),
        sa.UniqueConstraint("community_id", "key", name=op.f("uq_treatments_community_id_key")),
    )
    op.create_index(
        op.f("ix_treatments_community_id"), "treatments", ["community_id"], unique=False
    )
    op.create_table(
        "treatment_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("treatment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("dose", sa.String(length=120), nullable=False),
        sa.Column("effectiveness", sa.String(length=16), nullable=False),
        sa.Column("adherence", sa.Integer(), nullable=False),
        sa.Column("burden", sa.Integer(), nullable=False),
        sa.Column("cost_band", sa.String(length=16), nullable=False),
        sa.Column("reason_stopped", sa.String(length=16), nullable=False),
        sa.Column("consent_to_publish", sa.Boolean(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "effectiveness IN ('worse', 'none', 'slight', 'moderate', 'major')",
            name=op.f("ck_treatment_reports_effectiveness_known"),
        ),
        sa.CheckConstraint(
            "cost_band IN ('none', 'low', 'medium', 'high')",
            name=op.f("ck_treatment_reports_cost_band_known"),
        ),
        sa.CheckConstraint(
            "reason_stopped IN ('', 'finished', 'ineffective', 'side-effects', 'burden', "
            "'cost', 'advice', 'other')",
            name=op.f("ck_treatment_reports_reason_known"),
        ),
        sa.CheckConstraint(
            "adherence BETWEEN 1 AND 5", name=op.f("ck_treatment_reports_adherence_range")
        ),
        sa.CheckConstraint(
            "burden BETWEEN 1 AND 5", name=op.f("ck_treatment_reports_burden_range")
        ),
        sa.CheckConstraint(
            "stopped_on IS NULL OR stopped_on >= started_on",
            name=op.f("ck_treatment_reports_dates_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["treatment_id"],
            ["treatments.id"],
            name=op.f("fk_treatment_reports_treatment_id_treatments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_treatment_reports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_reports")),
        sa.UniqueConstraint(
            "treatment_id", "user_id", name=op.f("uq_treatment_reports_treatment_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_treatment_reports_treatment_id"),
        "treatment_reports",
        ["treatment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_treatment_reports_user_id"), "treatment_reports", ["user_id"], unique=False
    )
    op.create_table(
        "treatment_side_effects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "severity IN ('mild', 'moderate', 'severe')",
            name=op.f("ck_treatment_side_effects_severity_known"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["treatment_reports.id"],
            name=op.f("fk_treatment_side_effects_report_id_treatment_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_side_effects")),
        sa.UniqueConstraint(
            "report_id", "name", name=op.f("uq_treatment_side_effects_report_id_name")
        ),
    )
    op.create_index(
        op.f("ix_treatment_side_effects_report_id"),
        "treatment_side_effects",
        ["report_id"],
        unique=False,
    )
    op.create_table(
        "treatment_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_treatment_datasets_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_treatment_datasets_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_datasets")),
        sa.UniqueConstraint("community_id", name=op.f("uq_treatment_datasets_community_id")),
    )


def downgrade() -> None:
    op.drop_table("treatment_datasets")
    op.drop_index(op.f("ix_treatment_side_effects_report_id"), table_name="treatment_side_effects")
    op.drop_table("treatment_side_effects")
    op.drop_index(op.f("ix_treatment_reports_user_id"), table_name="treatment_reports")
    op.drop_index(op.f("ix_treatment_reports_treatment_id"), table_name="treatment_reports")
    op.drop_table("treatment_reports")
    op.drop_index(op.f("ix_treatments_community_id"), table_name="treatments")
    op.drop_table("treatments")
