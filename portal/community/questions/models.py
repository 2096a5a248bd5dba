"""Research questions, the support they receive, and evidence reviews."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.community.models import Community

TITLE_MIN = 10
TITLE_MAX = 200
PICO_MAX = 500
RATIONALE_MAX = 5000
URL_MAX = 500


class QuestionStatus(enum.StrEnum):
    """The lifecycle, in order; ``closed`` can follow any open status."""

    PROPOSED = "proposed"
    UNDER_REVIEW = "under_review"
    IN_ANALYSIS = "in_analysis"
    ANSWERED = "answered"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def is_open(self) -> bool:
        """Open questions still take support, comments on their future, and rounds."""
        return self in (
            QuestionStatus.PROPOSED,
            QuestionStatus.UNDER_REVIEW,
            QuestionStatus.IN_ANALYSIS,
        )


def _in(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({_in([s.value for s in QuestionStatus])})", name="status_known"
        ),
        CheckConstraint(
            "duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_its_own_duplicate"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    # The question outlives its author's account: the community still needs it.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    population: Mapped[str] = mapped_column(String(PICO_MAX))
    intervention: Mapped[str] = mapped_column(String(PICO_MAX))
    comparator: Mapped[str] = mapped_column(String(PICO_MAX), default="")
    outcome: Mapped[str] = mapped_column(String(PICO_MAX))
    rationale: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(16), default=QuestionStatus.PROPOSED.value, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_reason: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), default=None
    )
    # The answer's summary, and optionally where it is published; the analysis runs
    # that answer it are linked in question_runs (links.models.QuestionRun).
    answer_url: Mapped[str] = mapped_column(String(URL_MAX), default="")
    answer_note: Mapped[str] = mapped_column(Text, default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")

    community: Mapped[Community] = relationship()
    author: Mapped[User | None] = relationship()
    duplicate_of: Mapped[Question | None] = relationship(remote_side=[id])

    @property
    def status_enum(self) -> QuestionStatus:
        return QuestionStatus(self.status)

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.title[:30]!r} ({self.status})>"


class QuestionVote(Base):
    """A member's support for a question: a row exists or it does not."""

    __tablename__ = "question_votes"
    __table_args__ = (
        # One member, one vote, whatever the number of tabs or concurrent requests.
        UniqueConstraint("question_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class EvidenceVerdict(enum.StrEnum):
    ANSWERED = "answered"
    PARTLY = "partly"
    NOT_ANSWERED = "not_answered"

    @property
    def label(self) -> str:
        return {
            "answered": "existing evidence already answers it",
            "partly": "existing evidence answers it in part",
            "not_answered": "existing evidence does not answer it",
        }[self.value]


class EvidenceReview(Base):
    """A researcher's check of whether existing evidence already answers a question."""

    __tablename__ = "evidence_reviews"
    __table_args__ = (
        CheckConstraint(
            f"verdict IN ({_in([v.value for v in EvidenceVerdict])})", name="verdict_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    verdict: Mapped[str] = mapped_column(String(16))
    # One reference per line: a systematic review, a trial registry entry, a DOI.
    citations: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    reviewer: Mapped[User | None] = relationship()

    @property
    def verdict_enum(self) -> EvidenceVerdict:
        return EvidenceVerdict(self.verdict)

    @property
    def citation_list(self) -> list[str]:
        return [line.strip() for line in self.citations.splitlines() if line.strip()]
