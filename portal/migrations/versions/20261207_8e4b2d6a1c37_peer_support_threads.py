"""Peer support: threads and replies (one table of posts), "this helped" reactions,
thread follows and the digest preference; flags and notifications may point at a post.

Revision ID: 8e4b2d6a1c37
Revises: 7a4d2b9e1c05
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "8e4b2d6a1c37"
down_revision = "7a4d2b9e1c05"
branch_labels = None
depends_on = None

ONE_OF_TWO = (
    "(question_id IS NULL AND comment_id IS NOT NULL)"
    " OR (question_id IS NOT NULL AND comment_id IS NULL)"
)
ONE_OF_THREE = (
    "(question_id IS NOT NULL AND comment_id IS NULL AND post_id IS NULL)"
    " OR (question_id IS NULL AND comment_id IS NOT NULL AND post_id IS NULL)"
    " OR (question_id IS NULL AND comment_id IS NULL AND post_id IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "support_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(thread_id IS NULL AND kind IS NOT NULL AND title IS NOT NULL)"
            " OR (thread_id IS NOT NULL AND kind IS NULL AND title IS NULL)",
            name=op.f("ck_support_posts_opening_or_reply"),
        ),
        sa.CheckConstraint(
            "kind IS NULL OR kind IN ('story', 'question', 'helped')",
            name=op.f("ck_support_posts_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_support_posts_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_support_posts_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["support_posts.id"],
            name=op.f("fk_support_posts_thread_id_support_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_posts")),
    )
    for column in ("author_id", "community_id", "created_at", "thread_id"):
        op.create_index(op.f(f"ix_support_posts_{column}"), "support_posts", [column])

    for table, target, unique_name in (
        ("support_reactions", "post_id", "uq_support_reactions_post_id_user_id"),
        ("support_follows", "thread_id", "uq_support_follows_thread_id_user_id"),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(target, sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                [target],
                ["support_posts.id"],
                name=op.f(f"fk_{table}_{target}_support_posts"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["users.id"],
                name=op.f(f"fk_{table}_user_id_users"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint(target, "user_id", name=op.f(unique_name)),
        )
        op.create_index(op.f(f"ix_{table}_{target}"), table, [target])
        op.create_index(op.f(f"ix_{table}_user_id"), table, ["user_id"])

    op.create_table(
        "support_digest_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("email_sent_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("visited_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_support_digest_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_support_digest_preferences")),
    )

    with op.batch_alter_table("content_flags") as batch:
        batch.add_column(sa.Column("post_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_content_flags_post_id_support_posts"),
            "support_posts",
            ["post_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f("ix_content_flags_post_id"), ["post_id"])
        batch.create_unique_constraint(
            op.f("uq_content_flags_post_id_user_id"), ["post_id", "user_id"]
        )
        batch.drop_constraint(op.f("ck_content_flags_one_target"), type_="check")
        batch.create_check_constraint(op.f("ck_content_flags_one_target"), ONE_OF_THREE)

    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("post_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_notifications_post_id_support_posts"),
            "support_posts",
            ["post_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("fk_notifications_post_id_support_posts"), type_="foreignkey")
        batch.drop_column("post_id")
    # Flags on support posts go with the posts: the old constraint has no place for them.
    op.execute("DELETE FROM content_flags WHERE post_id IS NOT NULL")
    with op.batch_alter_table("content_flags") as batch:
        batch.drop_constraint(op.f("ck_content_flags_one_target"), type_="check")
        batch.create_check_constraint(op.f("ck_content_flags_one_target"), ONE_OF_TWO)
        batch.drop_constraint(op.f("uq_content_flags_post_id_user_id"), type_="unique")
        batch.drop_index(op.f("ix_content_flags_post_id"))
        batch.drop_constraint(op.f("fk_content_flags_post_id_support_posts"), type_="foreignkey")
        batch.drop_column("post_id")
    op.drop_table("support_digest_preferences")
    for table in ("support_follows", "support_reactions"):
        op.drop_table(table)
    op.drop_table("support_posts")
