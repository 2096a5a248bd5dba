"""Treatment releases: what was published about a treatment, and the reports behind it;
and the consenting reports behind a community's last dataset version.

Revision ID: a41c7e9d2b63
Revises: 6f3a9d2c8b14
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import portal.db

revision = "a41c7e9d2b63"
down_revision = "6f3a9d2c8b14"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "treatment_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("treatment_id", sa.Integer(), nullable=False),
        sa.Column("released_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reporters", sa.Integer(), nullable=False),
        sa.Column("figures", JSON_DOCUMENT, nullable=False),
        sa.Column("basis", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["treatment_id"],
            ["treatments.id"],
            name=op.f("fk_treatment_releases_treatment_id_treatments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_releases")),
    )
    with op.batch_alter_table("treatment_releases") as batch:
        batch.create_index(batch.f("ix_treatment_releases_treatment_id"), ["treatment_id"])
    with op.batch_alter_table("treatment_datasets") as batch:
        batch.add_column(
            sa.Column("basis", JSON_DOCUMENT, nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("treatment_datasets") as batch:
        batch.drop_column("basis")
    op.drop_table("treatment_releases")
