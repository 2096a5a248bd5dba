"""Who follows which question, and the on-site notifications they receive when it changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow

MESSAGE_MAX = 300
LINK_MAX = 300


class QuestionWatch(Base):
    """A member follows a question and is told when its status changes."""

    __tablename__ = "question_watches"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), default=None
    )
    #: set for a notice about a followed analysis (the run the member should open)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), default=None
    )
    # Set for a new reply in a support thread the member follows (the thread's post).
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_posts.id", ondelete="CASCADE"), default=None
    )
    message: Mapped[str] = mapped_column(String(MESSAGE_MAX))
    # A path on this site to open, for notices that are about no question (a moderator's
    # decision points to where it can be appealed).
    link: Mapped[str] = mapped_column(String(LINK_MAX), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
