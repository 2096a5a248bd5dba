"""/api/v1/datasets: list, read and share datasets, add and publish versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request, url_for
from flask_login import current_user
from sqlalchemy import select

from datasets.errors import DatasetError, MetadataError
from datasets.ingest import spool
from datasets.metadata import DatasetMetadata
from portal import db, policy
from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.jobs import accepted, start_job
from portal.api.pagination import paged
from portal.api.spec import operation, validate
from portal.data import services
from portal.data.models import Dataset, DatasetVersion
from portal.data.search import Filters, apply_filters
from portal.errors import Forbidden, NotFound, ServiceError
from portal.extensions import limiter, upload_limit, user_or_address
from portal.jobs import runner


def version_json(dataset: Dataset, version: DatasetVersion) -> dict[str, Any]:
    downloads = {
        kind: url_for(
            "data.download", slug=dataset.slug, number=version.number, kind=kind, _external=True
        )
        for kind in ("original", "csv", "datapackage")
    }
    return {
        "number": version.number,
        "published": version.is_published,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "sha256": version.sha256,
        "size": version.size_bytes,
        "filename": version.filename,
        "format": version.file_format,
        "rows": version.row_count,
        "columns": version.column_count,
        "change_note": version.change_note,
        "valid": version.report.get("valid"),
        "blocking_identifiers": bool(version.screening.get("blocking")),
        **review_json(version),
        "schema": version.schema,
        "downloads": downloads,
    }


def review_json(version: DatasetVersion) -> dict[str, Any]:
    """What a person must confirm, the re-identification risk, and what stops publication."""
    reviews = services.reviews_by_finding(version)
    must_confirm = []
    for finding in services.must_confirm(version):
        review = reviews.get(finding["key"])
        must_confirm.append(
            {
                "key": finding["key"],
                "kind": finding["kind"],
                "column": finding.get("column"),
                "message": finding["message"],
                "confirmed_by": review.reviewer_name if review else None,
                "confirmed_at": review.created_at.isoformat() if review else None,
            }
        )
    risk = version.screening.get("risk")
    risk_json = None
    if risk and risk.get("rows") and version.dataset.level == "participant":
        accepted = reviews.get(services.RISK)
        problem = services.risk_problem(version, *services.risk_limits())
        risk_json = {
            "quasi_identifiers": risk["quasi_identifiers"],
            "k": risk["min_class_size"],
            "rows": risk["rows"],
            "unique_rows": risk.get("unique_rows", 0),
            "unique_share": risk.get("unique_share", 0.0),
            "within_limits": problem is None,
            "accepted_by": accepted.reviewer_name if accepted else None,
            "accepted_reason": accepted.reason if accepted else None,
        }
        summary = services.reidentification_summary(version)
        if summary is not None:
            risk_json["in_plain_words"] = " ".join(
                part for part in (summary["sentence"], summary.get("detail")) if part
            )
    return {
        "must_confirm": must_confirm,
        "reidentification_risk": risk_json,
        "publication_problems": []
        if version.is_published
        else services.publication_problems(version),
    }


def dataset_json(dataset: Dataset, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "slug": dataset.slug,
        "title": dataset.title,
        "licence": dataset.licence,
        "level": dataset.level,
        "study_design": dataset.study_design or None,
        "published": dataset.is_published,
        "owner": dataset.owner.username,
        "url": url_for("data.show", slug=dataset.slug, _external=True),
        "updated_at": dataset.updated_at.isoformat(),
    }
    if full:
        out["metadata"] = dataset.meta
        out["versions"] = [
            version_json(dataset, v) for v in policy.visible_versions(current_user, dataset)
        ]
    return out


def visible_dataset(slug: str) -> Dataset:
    dataset = db.session().scalar(select(Dataset).where(Dataset.slug == slug))
    if dataset is None or not policy.can_view_dataset(current_user, dataset):
        raise NotFound(f"No dataset {slug!r}.")
    return dataset


def editable_dataset(slug: str, doing: str) -> Dataset:
    dataset = visible_dataset(slug)
    if not policy.can_edit_dataset(current_user, dataset):
        raise Forbidden(f"Only the dataset's owner can {doing}.")
    return dataset


@bp.get("/datasets")
@operation(
    "List and search datasets",
    "datasets",
    query=schemas.DatasetQuery,
    responses={200: schemas.DatasetPage},
    description="Published datasets, and your own drafts when signed in.",
)
def list_datasets(query: schemas.DatasetQuery) -> dict[str, Any]:
    filters = Filters(**{name: getattr(query, name) for name in Filters.__annotations__})
    statement = apply_filters(db.session(), policy.visible_datasets(current_user), filters)
    return paged(
        statement.order_by(Dataset.updated_at.desc(), Dataset.id.desc()), query, dataset_json
    )


@bp.get("/datasets/<slug>")
@operation(
    "Read a dataset and its versions",
    "datasets",
    responses={200: schemas.DatasetDetail},
    errors=(404,),
)
def get_dataset(slug: str) -> dict[str, Any]:
    return dataset_json(visible_dataset(slug), full=True)


def _uploaded_file() -> tuple[Path, str]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ServiceError("Send the data as a multipart field named 'file'.", "file")
    session = db.session()
    runner.check_room(session, current_user.id)
    try:
        path = spool(
            upload.stream,
            services.incoming_dir(current_app),
            max_bytes=services.limits(current_app).max_bytes,
            filename=Path(upload.filename).name,
        )
    except DatasetError as error:
        raise ServiceError(str(error), "file", code="invalid_file") from None
    try:
        services.check_storage(session, current_app, current_user.id, path.stat().st_size)
    except ServiceError:
        path.unlink()
        raise
    return path, Path(upload.filename).name


@bp.post("/datasets")
@limiter.shared_limit(upload_limit, "upload", key_func=user_or_address)
@operation(
    "Share a dataset (its first version)",
    "datasets",
    auth=True,
    scope="write",
    form=schemas.DatasetUpload,
    files=("file",),
    responses={202: schemas.Accepted},
    errors=(403, 413),
    description="Researchers only. The file is checked by a job; follow links.job.",
)
def create_dataset(form: schemas.DatasetUpload) -> tuple[dict[str, Any], int]:
    if not policy.can_share_datasets(current_user):
        raise Forbidden("Only researchers can share datasets.")
    metadata = form.metadata
    try:
        DatasetMetadata.from_dict(metadata)
    except MetadataError as error:
        first = error.problems[0]
        raise ServiceError(
            "; ".join(f"{p.get('field')}: {p['message']}" for p in error.problems),
            f"metadata.{first.get('field')}" if first.get("field") else "metadata",
        ) from None
    path, filename = _uploaded_file()
    return accepted(
        start_job(
            "dataset.ingest",
            {
                "upload": str(path),
                "filename": filename,
                "user_id": current_user.id,
                "metadata": metadata,
                "change_note": form.change_note or "First version.",
            },
        )
    )


@bp.post("/datasets/<slug>/versions")
@limiter.shared_limit(upload_limit, "upload", key_func=user_or_address)
@operation(
    "Upload a new version of a dataset",
    "datasets",
    auth=True,
    scope="write",
    form=schemas.VersionUpload,
    files=("file",),
    responses={202: schemas.Accepted},
    errors=(403, 404, 413),
)
def create_version(slug: str, form: schemas.VersionUpload) -> tuple[dict[str, Any], int]:
    dataset = editable_dataset(slug, "add versions")
    note = form.change_note.strip()
    if not note:
        raise ServiceError("Say what changed in 'change_note'.", "change_note")
    path, filename = _uploaded_file()
    return accepted(
        start_job(
            "dataset.ingest",
            {
                "upload": str(path),
                "filename": filename,
                "user_id": current_user.id,
                "dataset_id": dataset.id,
                "change_note": note[:2000],
            },
        )
    )


@bp.post("/datasets/<slug>/versions/<int:number>/publish")
@operation(
    "Publish a version",
    "datasets",
    auth=True,
    scope="write",
    body=schemas.PublishConfirmation,
    view_reads_body=True,
    responses={200: schemas.DatasetVersion},
    errors=(403, 404, 409),
    description='Publishing cannot be undone: send {"confirm": true} once you have read '
    "the version (its rows, columns, confirmed findings and reidentification_risk), as the "
    "publish page asks. Refused (409) while the version has validation errors or "
    "identifiers, findings no one has confirmed, or a re-identification risk over the "
    "limits that no curator accepted; without the confirmation, 400.",
    example={"confirm": True},
)
def publish_version(slug: str, number: int) -> dict[str, Any]:
    dataset, version = editable_version(slug, number, "publish it")
    body = request.get_json(silent=True)
    confirmation = validate(schemas.PublishConfirmation, body if isinstance(body, dict) else {})
    session = db.session()
    services.publish(
        session,
        version,
        actor=policy.require_account(current_user),
        confirmed=bool(getattr(confirmation, "confirm", False)),
    )
    session.commit()
    return version_json(dataset, version)


def editable_version(slug: str, number: int, doing: str) -> tuple[Dataset, DatasetVersion]:
    dataset = editable_dataset(slug, doing)
    version = next((v for v in dataset.versions if v.number == number), None)
    if version is None:
        raise NotFound(f"No version {number} of {slug!r}.")
    return dataset, version


@bp.post("/datasets/<slug>/versions/<int:number>/confirmations")
@operation(
    "Confirm findings you have checked",
    "datasets",
    auth=True,
    scope="write",
    body=schemas.FindingConfirmation,
    responses={200: schemas.DatasetVersion},
    errors=(403, 404, 409),
    description="The dataset's owner records, under their name, that they read the data "
    "behind findings that need a person (free text, quasi-identifiers...).",
    example={"findings": ["free-text:4:notes"]},
)
def confirm_findings(slug: str, number: int, body: schemas.FindingConfirmation) -> dict[str, Any]:
    dataset, version = editable_version(slug, number, "confirm its findings")
    session = db.session()
    services.confirm_findings(
        session, version, body.findings, reviewer=policy.require_account(current_user)
    )
    session.commit()
    return version_json(dataset, version)


@bp.post("/datasets/<slug>/versions/<int:number>/risk-acceptance")
@operation(
    "Accept a re-identification risk over the limits (curators)",
    "datasets",
    auth=True,
    scope="write",
    body=schemas.RiskAcceptance,
    responses={200: schemas.DatasetVersion},
    errors=(403, 404, 409),
    description="A curator lets a version be published although its quasi-identifiers "
    "single out more people than the limits allow; the reason goes in the audit log.",
    example={"reason": "Ages are already in five-year bands in the public registry."},
)
def accept_risk(slug: str, number: int, body: schemas.RiskAcceptance) -> dict[str, Any]:
    dataset = visible_dataset(slug)
    if not policy.is_curator(current_user):
        raise Forbidden("Only a curator can accept a re-identification risk.")
    version = next(
        (v for v in policy.visible_versions(current_user, dataset) if v.number == number), None
    )
    if version is None:
        raise NotFound(f"No version {number} of {slug!r}.")
    session = db.session()
    services.accept_risk(
        session, version, body.reason, curator=policy.require_account(current_user), app=current_app
    )
    session.commit()
    return version_json(dataset, version)
