"""Screening reviews: who confirmed each finding of a draft version, and a curator's
acceptance of a re-identification risk above the threshold.

Revision ID: 5d2e8c1f7a90
Revises: a41c7e9d2b63
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import portal.db

revision = "5d2e8c1f7a90"
down_revision = "a41c7e9d2b63"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "screening_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("finding", sa.String(length=300), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_name", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('confirmed', 'risk_accepted')",
            name=op.f("ck_screening_reviews_decision_known"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_screening_reviews_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_screening_reviews_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_reviews")),
        sa.UniqueConstraint(
            "version_id", "finding", name=op.f("uq_screening_reviews_version_id_finding")
        ),
    )
    with op.batch_alter_table("screening_reviews") as batch:
        batch.create_index(batch.f("ix_screening_reviews_version_id"), ["version_id"])


def downgrade() -> None:
    op.drop_table("screening_reviews")
