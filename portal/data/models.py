from __future__ import annotations

import json
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

from portal.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.accounts.models import User


def _loads(text: str | None, default: Any) -> Any:
    return json.loads(text) if text else default


class Dataset(Base):
    """A dataset's identity and metadata; its content lives in immutable versions."""

    __tablename__ = "datasets"
    __table_args__ = (CheckConstraint("level IN ('participant', 'aggregate')", name="level_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # The searchable and filterable fields are columns; the rest of the metadata
    # (as datasets.metadata.DatasetMetadata.to_dict()) is kept whole in metadata_json.
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), default="participant")
    study_design: Mapped[str] = mapped_column(String(64), default="")
    metadata_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)

    owner: Mapped[User] = relationship()
    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset", order_by="DatasetVersion.number", cascade="all, delete-orphan"
    )

    tags: Mapped[list[DatasetTag]] = relationship(cascade="all, delete-orphan")

    @property
    def meta(self) -> dict[str, Any]:
        return _loads(self.metadata_json, {})

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def published_versions(self) -> list[DatasetVersion]:
        return [v for v in self.versions if v.is_published]

    def latest_published(self) -> DatasetVersion | None:
        published = self.published_versions()
        return published[-1] if published else None


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
    value: Mapped[str] = mapped_column(String(200), index=True)
    label: Mapped[str] = mapped_column(String(200))


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
    dialect_json: Mapped[str] = mapped_column(Text, default="{}")
    schema_json: Mapped[str] = mapped_column(Text, default="{}")
    report_json: Mapped[str] = mapped_column(Text, default="{}")
    screening_json: Mapped[str] = mapped_column(Text, default="{}")
    preview_json: Mapped[str] = mapped_column(Text, default="[]")
    fixes_json: Mapped[str] = mapped_column(Text, default="[]")
    change_note: Mapped[str] = mapped_column(Text, default="")
    quasi_identifiers_json: Mapped[str] = mapped_column(Text, default="[]")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    dataset: Mapped[Dataset] = relationship(back_populates="versions")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def schema(self) -> dict[str, Any]:
        return _loads(self.schema_json, {})

    @property
    def report(self) -> dict[str, Any]:
        return _loads(self.report_json, {})

    @property
    def screening(self) -> dict[str, Any]:
        return _loads(self.screening_json, {})

    @property
    def dialect(self) -> dict[str, Any]:
        return _loads(self.dialect_json, {})

    @property
    def preview(self) -> list[list[str]]:
        return _loads(self.preview_json, [])

    @property
    def fixes(self) -> list[dict[str, Any]]:
        return _loads(self.fixes_json, [])

    @property
    def quasi_identifiers(self) -> list[str]:
        return _loads(self.quasi_identifiers_json, [])
