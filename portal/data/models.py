from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, JSONDocument, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.accounts.models import User


class Dataset(Base):
    """A dataset's identity and metadata; its content lives in immutable versions."""

    __tablename__ = "datasets"
    __table_args__ = (CheckConstraint("level IN ('participant', 'aggregate')", name="level_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # The searchable and filterable fields are columns; the rest of the metadata
    # (as datasets.metadata.DatasetMetadata.to_dict()) is kept whole in "metadata"
    # (a name SQLAlchemy reserves for the attribute, hence ``meta``).
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), default="participant")
    study_design: Mapped[str] = mapped_column(String(64), default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)

    owner: Mapped[User] = relationship()
    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset", order_by="DatasetVersion.number", cascade="all, delete-orphan"
    )

    tags: Mapped[list[DatasetTag]] = relationship(cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def published_versions(self) -> list[DatasetVersion]:
        return [v for v in self.versions if v.is_published]

    def latest_published(self) -> DatasetVersion | None:
        published = self.published_versions()
        return published[-1] if published else None


#: Characters kept of a tag (the metadata allows terms of this length, datasets.metadata).
TAG_LENGTH = 200


class DatasetTag(Base):
    """A condition, intervention or keyword of a dataset, lower-cased for filtering."""

    __tablename__ = "dataset_tags"
    __table_args__ = (
        UniqueConstraint("dataset_id", "kind", "value"),
        CheckConstraint("kind IN ('condition', 'intervention', 'keyword')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(TAG_LENGTH), index=True)
    label: Mapped[str] = mapped_column(String(TAG_LENGTH))


class DatasetVersion(Base):
    """One upload. Its bytes, schema and reports never change once it is published."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(16))
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    column_count: Mapped[int] = mapped_column(Integer, default=0)
    dialect: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    schema: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    report: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    screening: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    #: The header and the first rows, identifiers masked: [[cell, ...], ...].
    preview: Mapped[list[list[str | None]]] = mapped_column(JSONDocument, default=list)
    fixes: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    change_note: Mapped[str] = mapped_column(Text, default="")
    quasi_identifiers: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    dataset: Mapped[Dataset] = relationship(back_populates="versions")
    reviews: Mapped[list[ScreeningReview]] = relationship(
        back_populates="version", order_by="ScreeningReview.id", cascade="all, delete-orphan"
    )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ScreeningReview(Base):
    """A named person's decision on a draft's screening: a finding read and
    confirmed, or (a curator's) acceptance of a re-identification risk above the
    threshold, with the reason. A version is published only once every finding
    that does not block has one."""

    __tablename__ = "screening_reviews"
    __table_args__ = (
        UniqueConstraint("version_id", "finding"),
        CheckConstraint("decision IN ('confirmed', 'risk_accepted')", name="decision_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), index=True
    )
    #: The finding's key (datasets.screening.Finding.key), or RISK for the risk decision.
    finding: Mapped[str] = mapped_column(String(300))
    decision: Mapped[str] = mapped_column(String(16))
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    #: Kept with the decision, so it still says who decided if the account goes.
    reviewer_name: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: What was decided on, as it was shown: the finding, or the risk figures.
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    version: Mapped[DatasetVersion] = relationship(back_populates="reviews")
