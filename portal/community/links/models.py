"""Links from a question to the data that could answer it and the analyses that did.

A dataset link records a researcher's decision on a suggestion (confirmed or
rejected), so a rejected dataset is not suggested again. An analysis link says that
a run was made for the question, or that it answers it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.community.questions.models import Question
    from portal.data.models import Dataset
    from portal.reanalysis.models import AnalysisRun

MATCHED_MAX = 500


class LinkDecision(enum.StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class RunRole(enum.StrEnum):
    #: run for the question (while it is in analysis, or alongside the answer)
    ANALYSIS = "analysis"
    #: one of the runs that answer it
    ANSWER = "answer"


class QuestionDataset(Base):
    """A researcher's decision that a dataset could (or could not) answer a question."""

    __tablename__ = "question_datasets"
    __table_args__ = (
        # One decision per question and dataset, however many researchers click at once.
        UniqueConstraint("question_id", "dataset_id"),
        CheckConstraint("decision IN ('confirmed', 'rejected')", name="decision_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(String(16))
    # The suggestion as it was when the researcher decided: its score and the terms
    # that matched, so the decision can be read later against what was shown.
    score: Mapped[float] = mapped_column(Float, default=0.0)
    matched: Mapped[str] = mapped_column(String(MATCHED_MAX), default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    question: Mapped[Question] = relationship()
    dataset: Mapped[Dataset] = relationship()
    decided_by: Mapped[User | None] = relationship()


class QuestionRun(Base):
    """An analysis run made for a question, or one that answers it."""

    __tablename__ = "question_runs"
    __table_args__ = (
        UniqueConstraint("question_id", "run_id"),
        CheckConstraint("role IN ('analysis', 'answer')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default=RunRole.ANALYSIS.value)
    linked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    question: Mapped[Question] = relationship()
    run: Mapped[AnalysisRun] = relationship()
    linked_by: Mapped[User | None] = relationship()
