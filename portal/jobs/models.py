from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, JSONDocument, StrEnumType, UTCDateTime, utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"

    @property
    def done(self) -> bool:
        return self in (JobState.FINISHED, JobState.FAILED)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'finished', 'failed')", name="state_known"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[JobState] = mapped_column(
        StrEnumType(JobState), default=JobState.QUEUED, index=True
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(500), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # How many times a runner has claimed the job; the finishing write is fenced on it,
    # so a runner that lost its claim (presumed dead, job taken over) cannot finish it.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # Bumped while a runner works on the job (and when a queued job is handed out);
    # a stale one means the runner died, and the recovery sweep takes the job back.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    # The web request that submitted the job, so its logs and the job's can be joined.
    request_id: Mapped[str] = mapped_column(String(64), default="", server_default="")

    @property
    def done(self) -> bool:
        return self.state.done

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 4),
            "message": self.message,
            "error": self.error or None,
            # a failed job's result, when it has one, names the page explaining the failure
            "result": (
                self.result
                if self.state == JobState.FINISHED
                or (self.state == JobState.FAILED and self.result)
                else None
            ),
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "attempts": self.attempts,
        }
