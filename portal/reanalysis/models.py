"""An analysis run: the exact inputs, the options and the full results of one analysis."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, JSONDocument, StrEnumType, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.data.models import DatasetVersion


class RunStatus(enum.StrEnum):
    """A run is a draft while its owner builds it; started, it never changes again."""

    DRAFT = "draft"
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class AnalysisRun(Base):
    """One analysis. Editable while a draft; never changes once finished (rerun instead)."""

    __tablename__ = "analysis_runs"
    __table_args__ = (
        CheckConstraint("kind IN ('aggregate', 'participant', 'network')", name="kind_known"),
        CheckConstraint(
            "status IN ('draft', 'queued', 'running', 'finished', 'failed')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[RunStatus] = mapped_column(
        StrEnumType(RunStatus), default=RunStatus.DRAFT, index=True
    )
    measure: Mapped[str] = mapped_column(String(8), default="")
    method: Mapped[str] = mapped_column(String(8), default="REML")
    #: {"hk": bool, "level": float}
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    #: aggregate: {"columns": {role: column}, "study", "year", "subgroup"};
    #: participant: analysis.Harmonisation.to_dict(), datasets keyed by slug.
    harmonisation: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    results: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    software: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    #: The analyst's certainty-of-evidence ratings, laid over the drafted ones:
    #: {domain: {"rating", "reason", "by", "at"}} (see portal.reanalysis.certainty).
    certainty: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    error_study: Mapped[str | None] = mapped_column(String(300), default=None)
    error_field: Mapped[str | None] = mapped_column(String(120), default=None)
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), default=None, index=True
    )
    rerun_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)

    owner: Mapped[User] = relationship()
    inputs: Mapped[list[AnalysisInput]] = relationship(
        back_populates="run", order_by="AnalysisInput.position", cascade="all, delete-orphan"
    )

    @property
    def is_finished(self) -> bool:
        return self.status == RunStatus.FINISHED

    @property
    def is_draft(self) -> bool:
        return self.status == RunStatus.DRAFT


class AnalysisInput(Base):
    """A dataset version an analysis used, by id and by the SHA-256 of its bytes."""

    __tablename__ = "analysis_inputs"
    __table_args__ = (UniqueConstraint("run_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="RESTRICT"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)

    run: Mapped[AnalysisRun] = relationship(back_populates="inputs")
    version: Mapped[DatasetVersion] = relationship()


class AnalysisFollow(Base):
    """A member follows an analysis: told when a newer run is made from it, or when a
    dataset it uses gets a newer published version (and by e-mail if they asked).

    ``notified_through`` is when the member was last told: everything that happened
    after it is still news, so a notice is sent once even when the check is repeated.
    """

    __tablename__ = "analysis_follows"
    __table_args__ = (UniqueConstraint("run_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    notified_through: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    run: Mapped[AnalysisRun] = relationship()
    user: Mapped[User] = relationship()
