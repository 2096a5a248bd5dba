"""Analysis runs keep the analyst's certainty-of-evidence ratings.

Revision ID: 5b7d3e9a2c64
Revises: 8e4b2d6a1c35
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "5b7d3e9a2c64"
down_revision = "8e4b2d6a1c35"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("analysis_runs") as batch:
        batch.add_column(sa.Column("certainty", JSON_DOCUMENT, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analysis_runs") as batch:
        batch.drop_column("certainty")
