from __future__ import annotations

from functools import wraps
from pathlib import Path

from flask import Blueprint, current_app, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from datasets.errors import DatasetError, MetadataError
from datasets.ingest import spool
from datasets.metadata import DatasetMetadata
from portal import db
from portal.accounts.models import Role, User
from portal.api import schemas
from portal.api.errors import ApiError
from portal.api.spec import operation, unauthorized, validate
from portal.data import services
from portal.data.models import Dataset, DatasetVersion
from portal.data.search import Filters, apply_filters
from portal.extensions import csrf
from portal.jobs import runner
from portal.jobs.models import Job

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
MAX_PER_PAGE = schemas.MAX_PER_PAGE


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return error.response()


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    code = (error.name or "error").lower().replace(" ", "_")
    return ApiError(error.code or 500, code, error.description or error.name).response()


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            raise unauthorized()
        return view(*args, **kwargs)

    return wrapped


def page_arguments() -> tuple[int, int]:
    """page and per_page, validated by the same model every list operation documents."""
    query = validate(
        schemas.PageQuery,
        {key: request.args[key] for key in ("page", "per_page") if key in request.args},
    )
    return query.page, query.per_page


def paged(statement, query: schemas.PageQuery, render) -> dict:
    """One page of ``statement``: the same envelope for every list of the API."""
    rows = (
        db.session()
        .scalars(statement.offset((query.page - 1) * query.per_page).limit(query.per_page + 1))
        .all()
    )
    return {
        "items": [render(row) for row in rows[: query.per_page]],
        "page": query.page,
        "per_page": query.per_page,
        "has_more": len(rows) > query.per_page,
    }


def version_json(dataset: Dataset, version: DatasetVersion) -> dict:
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
        "schema": version.schema,
        "downloads": downloads,
    }


def dataset_json(dataset: Dataset, *, full: bool = False) -> dict:
    out = {
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
            version_json(dataset, v) for v in services.visible_versions(current_user, dataset)
        ]
    return out


def visible_dataset(slug: str) -> Dataset:
    dataset = db.session().scalar(select(Dataset).where(Dataset.slug == slug))
    if dataset is None or not services.can_view(current_user, dataset):
        raise ApiError(404, "not_found", f"No dataset {slug!r}.")
    return dataset


@bp.get("/datasets")
@operation(
    "List and search datasets",
    "datasets",
    query=schemas.DatasetQuery,
    responses={200: schemas.DatasetPage},
    description="Published datasets, and your own drafts when signed in.",
)
def list_datasets(query: schemas.DatasetQuery):
    session = db.session()
    filters = Filters(**{name: getattr(query, name) for name in Filters.__annotations__})
    statement = apply_filters(session, services.visible_datasets(current_user), filters)
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
def get_dataset(slug: str):
    return dataset_json(visible_dataset(slug), full=True)


def _uploaded_file() -> tuple[Path, str]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(400, "invalid", "Send the data as a multipart field named 'file'.", "file")
    try:
        path = spool(
            upload.stream,
            services.incoming_dir(current_app),
            max_bytes=services.limits(current_app).max_bytes,
        )
    except DatasetError as error:
        raise ApiError(400, "invalid_file", str(error), "file") from None
    return path, Path(upload.filename).name


def _accepted(job: Job):
    return {
        "job": job.to_dict(),
        "links": {"job": url_for("api.get_job", job_id=job.id, _external=True)},
    }, 202


def _start(kind: str, payload: dict) -> Job:
    session = db.session()
    job = runner.submit(session, kind, payload, owner_id=current_user.id)
    session.commit()
    runner.start(job.id)
    session.refresh(job)
    return job


@bp.post("/datasets")
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
def create_dataset(form: schemas.DatasetUpload):
    if not current_user.has_role(Role.RESEARCHER):
        raise ApiError(403, "forbidden", "Only researchers can share datasets.")
    metadata = form.metadata
    try:
        DatasetMetadata.from_dict(metadata)
    except MetadataError as error:
        first = error.problems[0]
        raise ApiError(
            400,
            "invalid",
            "; ".join(f"{p.get('field')}: {p['message']}" for p in error.problems),
            f"metadata.{first.get('field')}" if first.get("field") else "metadata",
        ) from None
    path, filename = _uploaded_file()
    return _accepted(
        _start(
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
def create_version(slug: str, form: schemas.VersionUpload):
    dataset = visible_dataset(slug)
    if not services.can_edit(current_user, dataset):
        raise ApiError(403, "forbidden", "Only the dataset's owner can add versions.")
    note = form.change_note.strip()
    if not note:
        raise ApiError(400, "invalid", "Say what changed in 'change_note'.", "change_note")
    path, filename = _uploaded_file()
    return _accepted(
        _start(
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
    responses={200: schemas.DatasetVersion},
    errors=(403, 404, 409),
    description="Refused (409) while the version has validation errors or identifiers.",
)
def publish_version(slug: str, number: int):
    dataset = visible_dataset(slug)
    if not services.can_edit(current_user, dataset):
        raise ApiError(403, "forbidden", "Only the dataset's owner can publish it.")
    version = next((v for v in dataset.versions if v.number == number), None)
    if version is None:
        raise ApiError(404, "not_found", f"No version {number} of {slug!r}.")
    session = db.session()
    try:
        services.publish(session, version, actor=session.get(User, current_user.id))
    except services.DataError as error:
        session.rollback()
        raise ApiError(409, "not_publishable", str(error)) from None
    session.commit()
    return version_json(dataset, version)


@bp.get("/jobs/<job_id>")
@operation(
    "Follow a job",
    "jobs",
    responses={200: schemas.Job},
    errors=(404,),
    description="A job started by a user is visible to that user (and admins) only.",
)
def get_job(job_id: str):
    job = db.session().get(Job, job_id)
    visible = job is not None and (
        job.owner_id is None
        or (
            current_user.is_authenticated
            and (current_user.id == job.owner_id or current_user.has_role(Role.ADMIN))
        )
    )
    if not visible:
        raise ApiError(404, "not_found", f"No job {job_id!r}.")
    return job.to_dict()
