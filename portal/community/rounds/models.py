"""Prioritisation rounds (James Lind Alliance style) and the pairwise comparisons in them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.community.models import Community
    from portal.community.questions.models import Question

ROUND_TITLE_MAX = 200


class Perspective(enum.StrEnum):
    """Whose priorities a participant speaks for; the list can weigh these equally."""

    PATIENT = "patient"
    CARER = "carer"
    CLINICIAN = "clinician"

    @property
    def label(self) -> str:
        return {"patient": "a patient", "carer": "a carer", "clinician": "a clinician"}[self.value]


class PriorityRound(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(ROUND_TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    opened_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    community: Mapped[Community] = relationship()

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class RoundQuestion(Base):
    __tablename__ = "round_questions"
    __table_args__ = (
        # Also the target of the comparisons' composite foreign keys.
        UniqueConstraint("question_id", "round_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))

    question: Mapped[Question] = relationship()


class RoundParticipant(Base):
    __tablename__ = "round_participants"
    __table_args__ = (
        UniqueConstraint("user_id", "round_id"),
        CheckConstraint(
            "perspective IN ({})".format(", ".join(f"'{p.value}'" for p in Perspective)),
            name="perspective_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    perspective: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Comparison(Base):
    """One answer to "which of these two matters more to you?".

    The pair is stored in a canonical order (low id, high id) so that asking the
    same member about B-A after A-B updates one row instead of adding a second.
    Composite foreign keys make the database itself refuse a comparison between
    questions that are not both in the round, or by someone who has not said
    which perspective they take part from.
    """

    __tablename__ = "comparisons"
    __table_args__ = (
        CheckConstraint("low_id < high_id", name="pair_ordered"),
        CheckConstraint("winner_id IN (low_id, high_id)", name="winner_in_pair"),
        UniqueConstraint("round_id", "user_id", "low_id", "high_id"),
        ForeignKeyConstraint(
            ["low_id", "round_id"],
            ["round_questions.question_id", "round_questions.round_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["high_id", "round_id"],
            ["round_questions.question_id", "round_questions.round_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["user_id", "round_id"],
            ["round_participants.user_id", "round_participants.round_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    low_id: Mapped[int] = mapped_column()
    high_id: Mapped[int] = mapped_column()
    winner_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
