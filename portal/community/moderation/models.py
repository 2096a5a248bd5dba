"""Flags raised by members on questions, comments and support posts, moderators' decisions
on them, and the authors' appeals."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
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


class Decision(enum.StrEnum):
    """What a moderator decided about flagged content or its author."""

    HIDE = "hide"
    KEEP = "keep"
    EDIT = "edit"
    WARN = "warn"
    SUSPEND = "suspend"
    BAN = "ban"
    RESTORE = "restore"

    @property
    def label(self) -> str:
        return {
            "hide": "Hide it",
            "keep": "Keep it (dismiss the flags)",
            "edit": "Edit it (the original is kept)",
            "warn": "Hide it and warn the author",
            "suspend": "Hide it and suspend the author",
            "ban": "Hide it and ban the author",
            "restore": "Restore it",
        }[self.value]

    @property
    def hides(self) -> bool:
        return self in (Decision.HIDE, Decision.WARN, Decision.SUSPEND, Decision.BAN)

    @property
    def sanctions(self) -> bool:
        """Whether it touches the author's account, which site moderators decide."""
        return self in (Decision.SUSPEND, Decision.BAN)


#: The category a decision is filed under, shown to visitors where content was removed.
OTHER_CATEGORY = "other"


def category_label(category: str) -> str:
    try:
        return FlagReason(category).label
    except ValueError:
        return "Breaks a community rule"


CATEGORIES = [(r.value, r.label) for r in FlagReason] + [
    (OTHER_CATEGORY, category_label(OTHER_CATEGORY))
]


class ModerationDecision(Base):
    """One decision, about one piece of content (``target_kind``/``target_id``, see
    targets.py) or about an account alone (admin area). Its author may appeal it once."""

    __tablename__ = "moderation_decisions"
    __table_args__ = (
        CheckConstraint(
            "action IN ({})".format(", ".join(f"'{d.value}'" for d in Decision)),
            name="action_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a decision about an account made in the site admin area.
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True, default=None
    )
    action: Mapped[str] = mapped_column(String(16))
    target_kind: Mapped[str] = mapped_column(String(16), default="")
    target_id: Mapped[int | None] = mapped_column(default=None)
    # Whose content (or account) it is about: they are told, and may appeal.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    category: Mapped[str] = mapped_column(String(32), default=OTHER_CATEGORY)
    reason: Mapped[str] = mapped_column(Text)
    # What the content said before a moderator edited it, kept for the audit.
    original_text: Mapped[str] = mapped_column(Text, default="")
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    @property
    def decision(self) -> Decision:
        return Decision(self.action)

    @property
    def category_label(self) -> str:
        return category_label(self.category)


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


APPEAL_MAX = 2000


class Appeal(Base):
    """The author's one appeal against a decision (one row per decision, at most)."""

    __tablename__ = "moderation_appeals"
    __table_args__ = (
        # Appealing once is a rule of the data, so two tabs posting at once cannot both win.
        UniqueConstraint("decision_id"),
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s.value}'" for s in AppealStatus)),
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_decisions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.OPEN.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    response: Mapped[str] = mapped_column(Text, default="")

    decision: Mapped[ModerationDecision] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
