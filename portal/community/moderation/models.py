"""Flags raised by members on questions, comments and support posts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.accounts.models import User

NOTE_MAX = 500


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    PERSONAL_HEALTH_INFORMATION = "personal_health_information"
    MISINFORMATION = "misinformation"

    @property
    def label(self) -> str:
        return {
            "spam": "Spam or advertising",
            "abuse": "Abuse or harassment",
            "personal_health_information": "Personal health information about someone",
            "misinformation": "Misinformation",
        }[self.value]


class ContentFlag(Base):
    __tablename__ = "content_flags"
    __table_args__ = (
        # A flag is about exactly one thing: a question, a comment or a support post.
        CheckConstraint(
            "(question_id IS NOT NULL AND comment_id IS NULL AND post_id IS NULL)"
            " OR (question_id IS NULL AND comment_id IS NOT NULL AND post_id IS NULL)"
            " OR (question_id IS NULL AND comment_id IS NULL AND post_id IS NOT NULL)",
            name="one_target",
        ),
        CheckConstraint(
            "reason IN ({})".format(", ".join(f"'{r.value}'" for r in FlagReason)),
            name="reason_known",
        ),
        # Each member flags a thing once, so three flags mean three people.
        UniqueConstraint("question_id", "user_id"),
        UniqueConstraint("comment_id", "user_id"),
        UniqueConstraint("post_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True, default=None
    )
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_comments.id", ondelete="CASCADE"), index=True, default=None
    )
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_posts.id", ondelete="CASCADE"), index=True, default=None
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when a moderator has looked: only unresolved flags hide content.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def reason_enum(self) -> FlagReason:
        return FlagReason(self.reason)
