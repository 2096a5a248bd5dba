"""Moderation: decisions kept for appeal, one appeal per decision, suspended and banned
accounts, and a link on a notification.

Revision ID: 8e4b2d6a1c35
Revises: 8e4b2d6a1c37
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "8e4b2d6a1c35"
down_revision = "8e4b2d6a1c37"
branch_labels = None
depends_on = None

DECISIONS = "'hide', 'keep', 'edit', 'warn', 'suspend', 'ban', 'restore'"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("suspended_until", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("banned_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(
            sa.Column("link", sa.String(length=300), nullable=False, server_default="")
        )
    op.create_table(
        "moderation_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=False),
        sa.Column("suspended_until", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            f"action IN ({DECISIONS})", name=op.f("ck_moderation_decisions_action_known")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_moderation_decisions_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_moderation_decisions_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_moderation_decisions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_decisions")),
    )
    with op.batch_alter_table("moderation_decisions") as batch:
        batch.create_index(
            batch.f("ix_moderation_decisions_community_id"), ["community_id"], unique=False
        )
        batch.create_index(
            batch.f("ix_moderation_decisions_created_at"), ["created_at"], unique=False
        )
        batch.create_index(batch.f("ix_moderation_decisions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "moderation_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'upheld', 'overturned')",
            name=op.f("ck_moderation_appeals_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_moderation_appeals_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["moderation_decisions.id"],
            name=op.f("fk_moderation_appeals_decision_id_moderation_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_moderation_appeals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_appeals")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_moderation_appeals_decision_id")),
    )
    with op.batch_alter_table("moderation_appeals") as batch:
        batch.create_index(batch.f("ix_moderation_appeals_status"), ["status"], unique=False)
        batch.create_index(batch.f("ix_moderation_appeals_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("moderation_appeals")
    op.drop_table("moderation_decisions")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("link")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("banned_at")
        batch.drop_column("suspended_until")
