"""What datasets do in the portal. Functions take a session and never commit."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import false, func, or_, select, update
from sqlalchemy.orm import Session

from datasets.detect import Progress
from datasets.ingest import IngestResult, ingest
from datasets.limits import DEFAULT_LIMITS, Limits
from datasets.metadata import DatasetMetadata
from datasets.reading import open_table
from datasets.screening import DIRECT, mask
from datasets.storage import LocalBlobStore
from portal import audit
from portal.accounts.models import User
from portal.data.models import TAG_LENGTH, Dataset, DatasetTag, DatasetVersion
from portal.db import utcnow
from portal.errors import Conflict, TooLarge

PREVIEW_ROWS = 20
TAG_KINDS = {"condition": "conditions", "intervention": "interventions", "keyword": "keywords"}


def blob_store(app: Flask) -> LocalBlobStore:
    return LocalBlobStore(Path(app.config["DATA_DIR"]) / "blobs")


def limits(app: Flask) -> Limits:
    config = app.config
    return replace(
        DEFAULT_LIMITS,
        max_bytes=config["MAX_CONTENT_LENGTH"],
        max_unpacked_bytes=config["UPLOAD_MAX_UNPACKED_BYTES"],
        max_xlsx_uncompressed_bytes=config["UPLOAD_MAX_UNPACKED_BYTES"],
        max_cells=config["UPLOAD_MAX_CELLS"],
    )


def storage_used(session: Session, user_id: int) -> int:
    """Bytes of the files behind every dataset version ``user_id`` uploaded."""
    used = session.scalar(
        select(func.coalesce(func.sum(DatasetVersion.size_bytes), 0)).where(
            DatasetVersion.created_by_id == user_id
        )
    )
    return int(used or 0)


def check_storage(session: Session, app: Flask, user_id: int, size: int) -> None:
    """Refuse a file of ``size`` bytes that would take the member past their storage."""
    quota_mb = app.config["STORAGE_PER_USER_MB"]
    if quota_mb <= 0:
        return
    used = storage_used(session, user_id)
    if used + size > quota_mb * 1024 * 1024:
        raise TooLarge(
            f"This file ({size / 1024 / 1024:,.1f} MB) would take your uploads past the "
            f"{quota_mb:,} MB each member may store (yours take {used / 1024 / 1024:,.1f} MB).",
            "file",
            code="storage_quota",
        )


def incoming_dir(app: Flask) -> Path:
    """Where uploads wait for their ingest job: on the shared data volume, not /tmp."""
    path = Path(app.config["DATA_DIR"]) / "incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _slug_base(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(slug) > 60:  # cut at a word boundary so the address stays readable
        slug = slug[:61].rsplit("-", 1)[0]
    return slug or "dataset"


def unique_slug(session: Session, title: str) -> str:
    base = _slug_base(title)
    taken = set(
        session.scalars(
            select(Dataset.slug).where(or_(Dataset.slug == base, Dataset.slug.like(f"{base}-%")))
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _apply_metadata(dataset: Dataset, metadata: DatasetMetadata) -> None:
    dataset.title = metadata.title.strip()
    dataset.description = metadata.description
    dataset.licence = metadata.licence
    dataset.level = metadata.level
    dataset.study_design = metadata.study_design or ""
    dataset.meta = metadata.to_dict()
    # Keyed as stored (the column holds TAG_LENGTH characters): a term recorded before
    # terms were limited is longer, and must still match its own tag, or the tag would
    # be deleted and inserted again under the same key.
    wanted = {
        (kind, value.strip().lower()[:TAG_LENGTH]): value.strip()[:TAG_LENGTH]
        for kind, attribute in TAG_KINDS.items()
        for value in getattr(metadata, attribute)
        if value.strip()
    }
    dataset.tags[:] = [tag for tag in dataset.tags if (tag.kind, tag.value) in wanted]
    present = {(tag.kind, tag.value) for tag in dataset.tags}
    for (kind, value), label in wanted.items():
        if (kind, value) not in present:
            dataset.tags.append(DatasetTag(kind=kind, value=value, label=label))


#: Key of the PostgreSQL advisory lock that serialises choosing new datasets' slugs.
_SLUG_LOCK = 0x5106_0001


def _lock_slugs(session: Session) -> None:
    """Hold, until this transaction ends, the right to choose a new slug.

    Without it two uploads with one title both find the slug free and one fails
    on the unique index. The lock is taken just before the dataset's rows are
    written, when the slower part of an upload (reading the file) is done.
    On SQLite, where one connection writes at a time, starting to write takes the
    database's write lock; any other writer has committed, so its slug is seen.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_SLUG_LOCK)))
    else:
        session.execute(update(Dataset).where(false()).values(slug=Dataset.slug))


def create_dataset(session: Session, owner: User, metadata: DatasetMetadata) -> Dataset:
    _lock_slugs(session)
    dataset = Dataset(slug=unique_slug(session, metadata.title), owner_id=owner.id)
    _apply_metadata(dataset, metadata)
    session.add(dataset)
    session.flush()
    return dataset


def update_metadata(
    session: Session, dataset: Dataset, metadata: DatasetMetadata, *, actor: User
) -> None:
    _apply_metadata(dataset, metadata)
    dataset.updated_at = utcnow()
    audit.record(session, "dataset.metadata_changed", actor_id=actor.id, subject=dataset.slug)


def read_preview(
    path: Path,
    filename: str | None,
    *,
    masked: Collection[str] = frozenset(),
    rows: int = PREVIEW_ROWS,
    dialect: dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[list[str | None]]:
    """The header and the first rows, as text, with identifying columns masked."""
    table = open_table(path, filename=filename, dialect=dialect, limits=limits)
    preview: list[list[str | None]] = [list(table.header)]
    hide = [name in masked for name in table.header]
    for batch in table.batches():
        for index in range(min(batch.num_rows, rows - len(preview) + 1)):
            cells = [
                column[index].as_py() if column is not None else None for column in batch.columns
            ]
            preview.append(
                [
                    mask(cell) if cell and hidden else cell
                    for cell, hidden in zip(cells, hide, strict=False)
                ]
            )
        if len(preview) > rows:
            break
    return preview


ANNOTATIONS = ("title", "description", "unit", "role")


def carry_over_annotations(schema: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """The new file's inferred schema, keeping what the uploader wrote about the
    columns that are still there (labels, descriptions, units, roles).

    Types are not carried over: the new file is checked as it is, whole.
    """
    before = {field["name"]: field for field in previous.get("fields", [])}
    merged = json.loads(json.dumps(schema))
    for field in merged.get("fields", []):
        old = before.get(field["name"])
        if old is None:
            continue
        for key in ANNOTATIONS:
            if key in old:
                field[key] = old[key]
    return merged


def add_version(
    session: Session,
    dataset: Dataset,
    result: IngestResult,
    *,
    user: User,
    change_note: str = "",
    preview: list[list[str | None]] | None = None,
    fixes: list[dict[str, Any]] | None = None,
    quasi_identifiers: list[str] | None = None,
) -> DatasetVersion:
    """Record an ingested file as the dataset's next (draft) version."""
    number = (
        session.scalar(
            select(func.max(DatasetVersion.number)).where(DatasetVersion.dataset_id == dataset.id)
        )
        or 0
    ) + 1
    version = DatasetVersion(
        dataset_id=dataset.id,
        number=number,
        sha256=result.sha256,
        size_bytes=result.size,
        filename=(result.filename or f"{dataset.slug}.csv")[:255],
        file_format=result.dialect.format,
        row_count=result.row_count,
        column_count=result.report.column_count,
        dialect=result.dialect.to_dict(),
        schema=result.schema,
        report=result.report.to_dict(),
        screening=result.screening.to_dict(),
        preview=preview or [],
        fixes=fixes or [],
        change_note=change_note,
        quasi_identifiers=quasi_identifiers or [],
        created_by_id=user.id,
    )
    session.add(version)
    session.flush()
    return version


def ingest_file(
    session: Session,
    app: Flask,
    path: Path,
    *,
    filename: str,
    user: User,
    dataset: Dataset | None,
    metadata: dict[str, Any] | None,
    change_note: str,
    schema: dict[str, Any] | None = None,
    quasi_identifiers: list[str] | None = None,
    fixes: list[dict[str, Any]] | None = None,
    progress: Progress | None = None,
) -> tuple[Dataset, DatasetVersion, IngestResult]:
    """Check and store a file as a new draft version (of a new dataset when none is given).

    Raises DatasetError or MetadataError before anything is written.
    """
    # A new dataset's metadata is checked first, so a refusal writes nothing.
    into = dataset if dataset is not None else DatasetMetadata.from_dict(metadata or {})
    result = ingest(
        path,
        filename=filename,
        store=blob_store(app),
        schema=schema,
        quasi_identifiers=quasi_identifiers,
        limits=limits(app),
        progress=progress,
    )
    preview = read_preview(
        path, filename, masked=result.screening.columns_flagged(DIRECT), limits=limits(app)
    )
    # Writes come last: progress reports use their own connection, and on SQLite
    # they would wait behind this session's write transaction.
    if isinstance(into, DatasetMetadata):
        dataset = create_dataset(session, user, into)
    else:
        dataset = into
        if schema is None and dataset.versions:
            result.schema = carry_over_annotations(result.schema, dataset.versions[-1].schema)
    version = add_version(
        session,
        dataset,
        result,
        user=user,
        change_note=change_note,
        preview=preview,
        fixes=fixes,
        quasi_identifiers=quasi_identifiers,
    )
    return dataset, version, result


def replace_analysis(
    version: DatasetVersion, result: IngestResult, quasi_identifiers: list[str]
) -> None:
    """Store a draft's re-validation against an edited schema."""
    if version.is_published:
        raise Conflict("A published version never changes; upload a new version instead.")
    version.schema = result.schema
    version.report = result.report.to_dict()
    version.screening = result.screening.to_dict()
    version.quasi_identifiers = list(quasi_identifiers)


def publication_problems(version: DatasetVersion) -> list[str]:
    problems = []
    if not version.row_count:
        problems.append(
            "The file has column names but no rows of data; upload a version with data."
        )
    if not version.report.get("valid", False):
        count = sum(version.report.get("error_counts", {}).values()) or "some"
        problems.append(
            f"The file has {count} validation errors; fix the file or the data dictionary first."
        )
    if version.screening.get("blocking"):
        columns = sorted(
            {
                f["column"]
                for f in version.screening.get("findings", [])
                if f.get("severity") == "block" and f.get("column")
            }
        )
        problems.append(
            "Direct identifiers must be removed or generalised first"
            + (f" (columns: {', '.join(columns)})." if columns else ".")
        )
    return problems


def publish(session: Session, version: DatasetVersion, *, actor: User) -> None:
    if version.is_published:
        return
    problems = publication_problems(version)
    if problems:
        raise Conflict(" ".join(problems), code="not_publishable")
    now = utcnow()
    version.published_at = now
    dataset = version.dataset
    if dataset.published_at is None:
        dataset.published_at = now
    dataset.updated_at = now
    audit.record(
        session,
        "dataset.published",
        actor_id=actor.id,
        subject=dataset.slug,
        version=version.number,
        sha256=version.sha256,
    )


def column_changes(old: DatasetVersion | None, new: DatasetVersion) -> dict[str, Any]:
    """What changed between two versions: columns added or removed, rows added."""
    if old is None:
        return {"added": [], "removed": [], "rows": new.row_count}
    before = [f["name"] for f in old.schema.get("fields", [])]
    after = [f["name"] for f in new.schema.get("fields", [])]
    return {
        "added": [name for name in after if name not in before],
        "removed": [name for name in before if name not in after],
        "rows": new.row_count - old.row_count,
    }
