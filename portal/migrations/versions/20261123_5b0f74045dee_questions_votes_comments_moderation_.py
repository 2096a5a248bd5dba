"""questions, votes, comments, moderation, prioritisation

Revision ID: 5b0f74045dee
Revises: 17a730c21f6d
Create Date: 2026-11-23 17:47:03.783794
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "5b0f74045dee"
down_revision = "17a730c21f6d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("population", sa.String(length=500), nullable=False),
        sa.Column("intervention", sa.String(length=500), nullable=False),
        sa.Column("comparator", sa.String(length=500), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status_changed_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("answer_url", sa.String(length=500), nullable=False),
        sa.Column("answer_note", sa.Text(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed', 'under_review', 'in_analysis', 'answered', 'closed')",
            name=op.f("ck_questions_status_known"),
        ),
        sa.CheckConstraint(
            "duplicate_of_id IS NULL OR duplicate_of_id <> id",
            name=op.f("ck_questions_not_its_own_duplicate"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_questions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_questions_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["questions.id"],
            name=op.f("fk_questions_duplicate_of_id_questions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questions_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_questions_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_questions_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_questions_hidden"), ["hidden"], unique=False)
        batch_op.create_index(batch_op.f("ix_questions_status"), ["status"], unique=False)

    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_rounds_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["users.id"],
            name=op.f("fk_rounds_opened_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
    )
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rounds_community_id"), ["community_id"], unique=False)

    op.create_table(
        "evidence_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("citations", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "verdict IN ('answered', 'partly', 'not_answered')",
            name=op.f("ck_evidence_reviews_verdict_known"),
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_evidence_reviews_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_evidence_reviews_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_reviews")),
    )
    with op.batch_alter_table("evidence_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_reviews_question_id"), ["question_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_notifications_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "question_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_question_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["question_comments.id"],
            name=op.f("fk_question_comments_parent_id_question_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_comments_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_comments")),
    )
    with op.batch_alter_table("question_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_comments_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_question_comments_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_question_comments_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_question_comments_question_id"), ["question_id"], unique=False
        )

    op.create_table(
        "question_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_votes_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_question_votes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_votes")),
        sa.UniqueConstraint(
            "question_id", "user_id", name=op.f("uq_question_votes_question_id_user_id")
        ),
    )
    with op.batch_alter_table("question_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_votes_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_question_votes_question_id"), ["question_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_question_votes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "question_watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_watches_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_question_watches_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_watches")),
        sa.UniqueConstraint(
            "question_id", "user_id", name=op.f("uq_question_watches_question_id_user_id")
        ),
    )
    with op.batch_alter_table("question_watches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_watches_question_id"), ["question_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_question_watches_user_id"), ["user_id"], unique=False)

    op.create_table(
        "round_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("perspective", sa.String(length=16), nullable=False),
        sa.Column("joined_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "perspective IN ('patient', 'carer', 'clinician')",
            name=op.f("ck_round_participants_perspective_known"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_participants_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_round_participants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_participants")),
        sa.UniqueConstraint(
            "user_id", "round_id", name=op.f("uq_round_participants_user_id_round_id")
        ),
    )
    with op.batch_alter_table("round_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_participants_round_id"), ["round_id"], unique=False
        )

    op.create_table(
        "round_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_round_questions_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_questions_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_questions")),
        sa.UniqueConstraint(
            "question_id", "round_id", name=op.f("uq_round_questions_question_id_round_id")
        ),
    )
    with op.batch_alter_table("round_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_questions_round_id"), ["round_id"], unique=False)

    op.create_table(
        "comparisons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("low_id", sa.Integer(), nullable=False),
        sa.Column("high_id", sa.Integer(), nullable=False),
        sa.Column("winner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("low_id < high_id", name=op.f("ck_comparisons_pair_ordered")),
        sa.CheckConstraint(
            "winner_id IN (low_id, high_id)", name=op.f("ck_comparisons_winner_in_pair")
        ),
        sa.ForeignKeyConstraint(
            ["high_id", "round_id"],
            ["round_questions.question_id", "round_questions.round_id"],
            name=op.f("fk_comparisons_high_id_round_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["low_id", "round_id"],
            ["round_questions.question_id", "round_questions.round_id"],
            name=op.f("fk_comparisons_low_id_round_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_comparisons_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id", "round_id"],
            ["round_participants.user_id", "round_participants.round_id"],
            name=op.f("fk_comparisons_user_id_round_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_comparisons_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparisons")),
        sa.UniqueConstraint(
            "round_id",
            "user_id",
            "low_id",
            "high_id",
            name=op.f("uq_comparisons_round_id_user_id_low_id_high_id"),
        ),
    )
    with op.batch_alter_table("comparisons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comparisons_round_id"), ["round_id"], unique=False)

    op.create_table(
        "content_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('spam', 'abuse', 'personal_health_information', 'misinformation')",
            name=op.f("ck_content_flags_reason_known"),
        ),
        sa.CheckConstraint(
            "(question_id IS NULL AND comment_id IS NOT NULL) OR "
            "(question_id IS NOT NULL AND comment_id IS NULL)",
            name=op.f("ck_content_flags_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["question_comments.id"],
            name=op.f("fk_content_flags_comment_id_question_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_content_flags_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_content_flags_resolved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_content_flags_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_flags")),
        sa.UniqueConstraint(
            "comment_id", "user_id", name=op.f("uq_content_flags_comment_id_user_id")
        ),
        sa.UniqueConstraint(
            "question_id", "user_id", name=op.f("uq_content_flags_question_id_user_id")
        ),
    )
    with op.batch_alter_table("content_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_flags_comment_id"), ["comment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_content_flags_question_id"), ["question_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("content_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_flags_question_id"))
        batch_op.drop_index(batch_op.f("ix_content_flags_comment_id"))

    op.drop_table("content_flags")
    with op.batch_alter_table("comparisons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comparisons_round_id"))

    op.drop_table("comparisons")
    with op.batch_alter_table("round_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_questions_round_id"))

    op.drop_table("round_questions")
    with op.batch_alter_table("round_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_participants_round_id"))

    op.drop_table("round_participants")
    with op.batch_alter_table("question_watches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_watches_user_id"))
        batch_op.drop_index(batch_op.f("ix_question_watches_question_id"))

    op.drop_table("question_watches")
    with op.batch_alter_table("question_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_votes_user_id"))
        batch_op.drop_index(batch_op.f("ix_question_votes_question_id"))
        batch_op.drop_index(batch_op.f("ix_question_votes_created_at"))

    op.drop_table("question_votes")
    with op.batch_alter_table("question_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_comments_question_id"))
        batch_op.drop_index(batch_op.f("ix_question_comments_parent_id"))
        batch_op.drop_index(batch_op.f("ix_question_comments_created_at"))
        batch_op.drop_index(batch_op.f("ix_question_comments_author_id"))

    op.drop_table("question_comments")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))

    op.drop_table("notifications")
    with op.batch_alter_table("evidence_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_reviews_question_id"))

    op.drop_table("evidence_reviews")
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rounds_community_id"))

    op.drop_table("rounds")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_status"))
        batch_op.drop_index(batch_op.f("ix_questions_hidden"))
        batch_op.drop_index(batch_op.f("ix_questions_created_at"))
        batch_op.drop_index(batch_op.f("ix_questions_community_id"))
        batch_op.drop_index(batch_op.f("ix_questions_author_id"))

    op.drop_table("questions")
