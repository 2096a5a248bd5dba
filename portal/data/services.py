"""What datasets do in the portal. Functions take a session and never commit."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import false, func, or_, select, update
from sqlalchemy.orm import Session

from datasets.detect import Progress
from datasets.ingest import IngestResult, ingest
from datasets.limits import DEFAULT_LIMITS, Limits
from datasets.metadata import DatasetMetadata
from datasets.reading import open_table
from datasets.screening import BLOCK, DIRECT, finding_key, mask
from datasets.storage import LocalBlobStore
from portal import audit, policy
from portal.accounts.models import User
from portal.data.models import TAG_LENGTH, Dataset, DatasetTag, DatasetVersion, ScreeningReview
from portal.db import utcnow
from portal.errors import Conflict, Forbidden, ServiceError, TooLarge
from portal.jobs.models import Job
from portal.settings import BY_NAME

PREVIEW_ROWS = 20
#: The review of a version's re-identification risk, beside its findings' keys.
RISK = "reid-risk"
REASON_MAX = 2000
TAG_KINDS = {"condition": "conditions", "intervention": "interventions", "keyword": "keywords"}


def starts_a_dataset(job: Job) -> bool:
    """Whether the job is an upload meant to start a new dataset: the details typed for
    it (title, description, metadata) can start another upload."""
    return job.kind == "dataset.ingest" and not job.payload.get("dataset_id")


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
    own_file: bool = False,
) -> tuple[Dataset, DatasetVersion, IngestResult]:
    """Check and store a file as a new draft version (of a new dataset when none is given).

    ``own_file``: the portal wrote ``path`` and nothing else writes it (a staged
    upload), so its bytes need hashing only once. Raises DatasetError or
    MetadataError before anything is written.
    """
    # A new dataset's metadata is checked first, so a refusal writes nothing.
    into = dataset if dataset is not None else DatasetMetadata.from_dict(metadata or {})
    previous = dataset.versions[-1] if dataset is not None and dataset.versions else None
    carry_from = None
    if previous is not None and schema is None:
        # The dictionary and the quasi-identifier marks describe the study: a new file
        # starts from what was settled for the last version.
        carry_from = previous.schema
        if quasi_identifiers is None:
            quasi_identifiers = list(previous.quasi_identifiers)
    result = ingest(
        path,
        filename=filename,
        store=blob_store(app),
        schema=schema,
        carry_from=carry_from,
        quasi_identifiers=quasi_identifiers,
        k=app.config["REID_MIN_K"],
        limits=limits(app),
        progress=progress,
        own_file=own_file,
    )
    preview = read_preview(
        path, filename, masked=result.screening.columns_flagged(DIRECT), limits=limits(app)
    )
    # Writes come last: progress reports use their own connection, and on SQLite
    # they would wait behind this session's write transaction.
    dataset = create_dataset(session, user, into) if isinstance(into, DatasetMetadata) else into
    version = add_version(
        session,
        dataset,
        result,
        user=user,
        change_note=change_note,
        preview=preview,
        fixes=fixes,
        quasi_identifiers=[
            name
            for name in quasi_identifiers or []
            if any(f["name"] == name for f in result.schema.get("fields", []))
        ],
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
    # What was confirmed was the previous analysis: the new one is reviewed afresh.
    version.reviews.clear()


def must_confirm(version: DatasetVersion) -> list[dict[str, Any]]:
    """The findings that do not block but that a person must confirm, each with its key."""
    return [
        {**finding, "key": finding_key(finding)}
        for finding in version.screening.get("findings", [])
        if finding.get("severity") != BLOCK
    ]


def reviews_by_finding(version: DatasetVersion) -> dict[str, ScreeningReview]:
    return {review.finding: review for review in version.reviews}


def _describe(finding: dict[str, Any]) -> str:
    what = str(finding.get("kind", "finding")).replace("-", " ")
    return f"column {finding['column']!r} ({what})" if finding.get("column") else what


def risk_limits(app: Flask | None = None) -> tuple[int, float]:
    """REID_MIN_K and REID_MAX_UNIQUE_SHARE of ``app`` or the current app; with
    neither (a script checking a version), the settings' defaults."""
    if app is None and has_app_context():
        app = current_app
    if app is None:
        return BY_NAME["REID_MIN_K"].default, BY_NAME["REID_MAX_UNIQUE_SHARE"].default
    return app.config["REID_MIN_K"], app.config["REID_MAX_UNIQUE_SHARE"]


def risk_problem(version: DatasetVersion, min_k: int, max_unique_share: float) -> str | None:
    """Why the version's re-identification risk is above the threshold, or None.

    Only rows about people are measured: an aggregate dataset's rows are studies.
    """
    risk = version.screening.get("risk")
    if version.dataset.level != "participant" or not risk or not risk.get("rows"):
        return None
    smallest, share = risk["min_class_size"], risk.get("unique_share", 0.0)
    if smallest >= min_k and share <= max_unique_share:
        return None
    columns = ", ".join(risk["quasi_identifiers"])
    return (
        f"Re-identification risk is too high: on {columns}, the smallest group of rows "
        f"sharing the same values has {smallest} row{'' if smallest == 1 else 's'} "
        f"(at least {min_k} needed) and {share:.1%} of rows are unique (at most "
        f"{max_unique_share:.1%} allowed). Group or remove values in these columns, or ask "
        "a curator to accept the risk with a reason."
    )


def reidentification_summary(
    version: DatasetVersion, app: Flask | None = None
) -> dict[str, Any] | None:
    """The version's k-anonymity result in plain words, for whoever is about to publish
    it; None for aggregate data (its rows are studies, not people)."""
    if version.dataset.level != "participant":
        return None
    min_k, max_share = risk_limits(app)
    risk = version.screening.get("risk")
    if not risk or not risk.get("rows") or not risk.get("quasi_identifiers"):
        return {
            "warning": False,
            "measured": False,
            "sentence": "No column is marked as, or recognised as, something that could "
            "single a participant out (such as age, sex or postcode), so this was not "
            "measured. Mark such columns in the data dictionary to measure it.",
        }
    columns = " + ".join(risk["quasi_identifiers"])
    unique = int(risk.get("unique_rows", 0))
    smallest = int(risk["min_class_size"])
    if unique:
        sentence = (
            f"{unique:,} participant{'s' if unique != 1 else ''} can be singled out by "
            f"{columns}: no one else in the file shares {'their' if unique != 1 else 'those'} "
            "values."
        )
    else:
        sentence = f"No participant can be singled out by {columns} alone."
    detail = (
        f"The smallest group of participants sharing the same {columns} has {smallest:,} "
        f"{'person' if smallest == 1 else 'people'}; the portal asks for at least {min_k}."
    )
    accepted = reviews_by_finding(version).get(RISK)
    return {
        "warning": smallest < min_k or risk.get("unique_share", 0.0) > max_share,
        "measured": True,
        "columns": list(risk["quasi_identifiers"]),
        "unique_rows": unique,
        "smallest_group": smallest,
        "min_k": min_k,
        "sentence": sentence,
        "detail": detail,
        "accepted_by": accepted.reviewer_name if accepted else None,
        "accepted_reason": accepted.reason if accepted else None,
    }


def publication_problems(version: DatasetVersion, app: Flask | None = None) -> list[str]:
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
    reviewed = reviews_by_finding(version)
    waiting = [f for f in must_confirm(version) if f["key"] not in reviewed]
    if waiting:
        problems.append(
            "Someone must read and confirm these findings first: "
            + "; ".join(_describe(f) for f in waiting)
            + "."
        )
    risk = risk_problem(version, *risk_limits(app))
    if risk and RISK not in reviewed:
        problems.append(risk)
    return problems


def confirm_findings(
    session: Session, version: DatasetVersion, keys: Collection[str], *, reviewer: User
) -> list[ScreeningReview]:
    """Record that ``reviewer`` read and confirmed these findings of a draft."""
    if version.is_published:
        raise Conflict("A published version never changes; its findings were confirmed already.")
    if not keys:
        raise ServiceError("Choose at least one finding to confirm.", "findings")
    open_findings = {f["key"]: f for f in must_confirm(version)}
    unknown = sorted(key for key in keys if key not in open_findings)
    if unknown:
        raise ServiceError(
            f"Not a finding of version {version.number} that needs confirming: "
            f"{', '.join(unknown)}.",
            "findings",
        )
    reviewed = reviews_by_finding(version)
    added = []
    for key in sorted(set(keys) - set(reviewed)):
        finding = open_findings[key]
        review = ScreeningReview(
            finding=key,
            decision="confirmed",
            reviewer_id=reviewer.id,
            reviewer_name=reviewer.name[:80],
            details={name: finding.get(name) for name in ("kind", "category", "column", "message")},
        )
        version.reviews.append(review)
        added.append(review)
        audit.record(
            session,
            "dataset.finding_confirmed",
            actor_id=reviewer.id,
            subject=version.dataset.slug,
            version=version.number,
            finding=key,
        )
    session.flush()
    return added


def accept_risk(
    session: Session, version: DatasetVersion, reason: str, *, curator: User, app: Flask
) -> ScreeningReview:
    """A curator accepts a draft's re-identification risk above the threshold, saying why."""
    if not policy.is_curator(curator):
        raise Forbidden("Only a curator can accept a re-identification risk above the threshold.")
    if version.is_published:
        raise Conflict("A published version never changes.")
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the risk is acceptable for this dataset.", "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Keep the reason under {REASON_MAX:,} characters.", "reason")
    problem = risk_problem(version, *risk_limits(app))
    if problem is None:
        raise Conflict("This version's re-identification risk is within the threshold.")
    existing = reviews_by_finding(version).get(RISK)
    if existing is not None:
        raise Conflict(f"{existing.reviewer_name} accepted this version's risk already.")
    min_k, max_share = risk_limits(app)
    risk = version.screening["risk"]
    details = {
        "quasi_identifiers": risk["quasi_identifiers"],
        "min_class_size": risk["min_class_size"],
        "unique_share": risk.get("unique_share", 0.0),
        "min_k": min_k,
        "max_unique_share": max_share,
    }
    review = ScreeningReview(
        finding=RISK,
        decision="risk_accepted",
        reviewer_id=curator.id,
        reviewer_name=curator.name[:80],
        reason=reason,
        details=details,
    )
    version.reviews.append(review)
    audit.record(
        session,
        "dataset.risk_accepted",
        actor_id=curator.id,
        subject=version.dataset.slug,
        version=version.number,
        reason=reason,
        **details,
    )
    session.flush()
    return review


def publish(session: Session, version: DatasetVersion, *, actor: User, confirmed: bool) -> None:
    """Make a draft public for good. ``confirmed`` says the publisher saw what becomes
    public and the re-identification result (the publish page, or the API's version
    with its ``reidentification_risk``) and asked to go on: nothing can take it back."""
    if version.is_published:
        return
    problems = publication_problems(version)
    if problems:
        raise Conflict(" ".join(problems), code="not_publishable")
    if not confirmed:
        summary = reidentification_summary(version)
        warning = f" {summary['sentence']}" if summary and summary["warning"] else ""
        raise ServiceError(
            f"Publishing cannot be undone: confirm that version {version.number} may become "
            f"public for good.{warning}",
            "confirm",
        )
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
