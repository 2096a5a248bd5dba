"""job attempts, heartbeat and request id

Revision ID: 3c1e5a7b9d20
Revises: 768f287836f7
Create Date: 2026-11-23 20:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "3c1e5a7b9d20"
down_revision = "768f287836f7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Server defaults so rows written before this revision get sane values.
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("max_attempts", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.add_column(
            sa.Column("heartbeat_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("request_id", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_jobs_heartbeat_at"), ["heartbeat_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_heartbeat_at"))
        batch_op.drop_column("request_id")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("max_attempts")
        batch_op.drop_column("attempts")
