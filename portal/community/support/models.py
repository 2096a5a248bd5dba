"""Support threads and their replies (one table of posts), "this helped" reactions,
follows, and each member's digest preference."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.community.models import Community

BODY_MAX = 10_000
TITLE_MAX = 200


class ThreadKind(enum.StrEnum):
    STORY = "story"
    QUESTION = "question"
    HELPED = "helped"

    @property
    def label(self) -> str:
        return {
            "story": "My story",
            "question": "Question to peers",
            "helped": "What helped me",
        }[self.value]


class SupportPost(Base):
    """A thread's opening post (``thread_id`` empty, with a kind and a title) or a reply
    in a thread. One table, so a flag, a reaction or a notification points at a post
    whichever it is."""

    __tablename__ = "support_posts"
    __table_args__ = (
        CheckConstraint(
            "(thread_id IS NULL AND kind IS NOT NULL AND title IS NOT NULL)"
            " OR (thread_id IS NOT NULL AND kind IS NULL AND title IS NULL)",
            name="opening_or_reply",
        ),
        CheckConstraint(
            "kind IS NULL OR kind IN ({})".format(", ".join(f"'{k.value}'" for k in ThreadKind)),
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_posts.id", ondelete="CASCADE"), index=True, default=None
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    kind: Mapped[str | None] = mapped_column(String(16), default=None)
    title: Mapped[str | None] = mapped_column(String(TITLE_MAX), default=None)
    # The Markdown source, sanitised each time it is shown (as comments are).
    body: Mapped[str] = mapped_column(Text)
    # Shown to other members and visitors as "a member"; the community's moderators
    # and site admins still see who wrote it.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Deleting keeps the row (with an empty body) so a thread keeps its replies.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hidden_reason: Mapped[str] = mapped_column(Text, default="")

    author: Mapped[User | None] = relationship()
    community: Mapped[Community] = relationship()

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_opening(self) -> bool:
        return self.thread_id is None

    @property
    def root_id(self) -> int:
        """The thread this post belongs to (its own id for an opening post)."""
        return self.thread_id if self.thread_id is not None else self.id

    @property
    def kind_enum(self) -> ThreadKind | None:
        return ThreadKind(self.kind) if self.kind else None


class HelpedReaction(Base):
    """A member says a post helped them: once per member per post."""

    __tablename__ = "support_reactions"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("support_posts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ThreadFollow(Base):
    """A member follows a thread and is told of new replies."""

    __tablename__ = "support_follows"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("support_posts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DigestPreference(Base):
    """A member's choice about the "what's new" digest, and when they last had one."""

    __tablename__ = "support_digest_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # Off until the member asks: mail nobody asked for is spam.
    email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # When the member last opened the digest page: "new" is what came after.
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
