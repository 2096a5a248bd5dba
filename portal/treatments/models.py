"""Treatments a community curates and what its members report about them.

Start and stop dates are stored so durations stay right when a report is edited;
they are never shown or published, only durations are.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, JSONDocument, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.community.models import Community
    from portal.data.models import Dataset

NAME_MAX = 120
DOSE_MAX = 120
SIDE_EFFECT_MAX = 80


class TreatmentKind(StrEnum):
    DRUG = "drug"
    NON_DRUG = "non-drug"


class TreatmentStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class Effectiveness(StrEnum):
    WORSE = "worse"
    NONE = "none"
    SLIGHT = "slight"
    MODERATE = "moderate"
    MAJOR = "major"


#: Scores for the effectiveness-vs-popularity chart: "made it worse" is below "none".
EFFECT_SCORES = {
    Effectiveness.WORSE: -1,
    Effectiveness.NONE: 0,
    Effectiveness.SLIGHT: 1,
    Effectiveness.MODERATE: 2,
    Effectiveness.MAJOR: 3,
}
EFFECT_LABELS = {
    Effectiveness.WORSE: "Made it worse",
    Effectiveness.NONE: "None",
    Effectiveness.SLIGHT: "Slight",
    Effectiveness.MODERATE: "Moderate",
    Effectiveness.MAJOR: "Major",
}


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class CostBand(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ReasonStopped(StrEnum):
    NOT_STOPPED = ""
    FINISHED = "finished"
    INEFFECTIVE = "ineffective"
    SIDE_EFFECTS = "side-effects"
    BURDEN = "burden"
    COST = "cost"
    ADVICE = "advice"
    OTHER = "other"


def _known(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Treatment(Base):
    __tablename__ = "treatments"
    __table_args__ = (
        # One entry per name per community, whatever its case: proposals of an
        # existing treatment are refused by the database, even when they race.
        UniqueConstraint("community_id", "key"),
        CheckConstraint(_known("kind", TreatmentKind), name="kind_known"),
        CheckConstraint(_known("status", TreatmentStatus), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    key: Mapped[str] = mapped_column(String(NAME_MAX))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=TreatmentStatus.PROPOSED.value)
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    community: Mapped[Community] = relationship()

    @property
    def is_approved(self) -> bool:
        return self.status == TreatmentStatus.APPROVED


class TreatmentReport(Base):
    """One member's experience of one treatment: private, shown to its author alone."""

    __tablename__ = "treatment_reports"
    __table_args__ = (
        UniqueConstraint("treatment_id", "user_id"),
        CheckConstraint(_known("effectiveness", Effectiveness), name="effectiveness_known"),
        CheckConstraint(_known("cost_band", CostBand), name="cost_band_known"),
        CheckConstraint(_known("reason_stopped", ReasonStopped), name="reason_known"),
        CheckConstraint("adherence BETWEEN 1 AND 5", name="adherence_range"),
        CheckConstraint("burden BETWEEN 1 AND 5", name="burden_range"),
        CheckConstraint("stopped_on IS NULL OR stopped_on >= started_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    treatment_id: Mapped[int] = mapped_column(
        ForeignKey("treatments.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    stopped_on: Mapped[date | None] = mapped_column(Date, default=None)
    dose: Mapped[str] = mapped_column(String(DOSE_MAX), default="")
    effectiveness: Mapped[str] = mapped_column(String(16))
    adherence: Mapped[int] = mapped_column(Integer)
    burden: Mapped[int] = mapped_column(Integer)
    cost_band: Mapped[str] = mapped_column(String(16))
    reason_stopped: Mapped[str] = mapped_column(String(16), default="")
    consent_to_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    treatment: Mapped[Treatment] = relationship()
    side_effects: Mapped[list[ReportSideEffect]] = relationship(
        cascade="all, delete-orphan", order_by="ReportSideEffect.name"
    )

    def duration_days(self, today: date) -> int:
        return ((self.stopped_on or today) - self.started_on).days


class ReportSideEffect(Base):
    __tablename__ = "treatment_side_effects"
    __table_args__ = (
        UniqueConstraint("report_id", "name"),
        CheckConstraint(_known("severity", Severity), name="severity_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("treatment_reports.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(SIDE_EFFECT_MAX))
    severity: Mapped[str] = mapped_column(String(16))


class TreatmentDataset(Base):
    """The open dataset a community's consenting reports are published to, one per community."""

    __tablename__ = "treatment_datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), unique=True
    )
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    #: The consenting reports behind the last version (report id -> when it last
    #: changed): the next version waits until k of them differ. Never shown.
    basis: Mapped[dict[str, str]] = mapped_column(
        JSONDocument, default=dict, server_default=text("'{}'")
    )

    dataset: Mapped[Dataset] = relationship()


class TreatmentRelease(Base):
    """What was published about one treatment, and on which reports it rests.

    Pages and the API show a treatment's latest release, never live counts: a new
    release is made only when at least k of the reports behind it changed (see
    portal.treatments.releases), so comparing two releases never isolates one report.
    ``basis`` (report id -> when it was last changed) is the server's own record,
    never shown; ``figures`` is what is shown, empty while too few members count.
    """

    __tablename__ = "treatment_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    treatment_id: Mapped[int] = mapped_column(
        ForeignKey("treatments.id", ondelete="CASCADE"), index=True
    )
    released_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reporters: Mapped[int] = mapped_column(Integer, default=0)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    basis: Mapped[dict[str, str]] = mapped_column(JSONDocument, default=dict)

    @property
    def shown(self) -> bool:
        return self.reporters > 0
