from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from datasets import fixes
from datasets.errors import DatasetError, FixError, MetadataError
from datasets.export import dataset_jsonld, export_csv, export_datapackage
from datasets.ingest import spool
from datasets.metadata import LICENCES, STUDY_DESIGNS, DatasetMetadata
from datasets.schema import check_schema
from datasets.storage import local_copy
from portal import db, policy
from portal.accounts.models import Role
from portal.data import comparing, services
from portal.data.forms import (
    ConfirmForm,
    EmptyForm,
    FixForm,
    MetadataForm,
    PublishForm,
    RiskForm,
    UploadForm,
    VersionForm,
)
from portal.data.models import Dataset, DatasetVersion
from portal.data.search import Filters, apply_filters, facet_values
from portal.errors import ServiceError
from portal.extensions import limiter, upload_limit, user_or_address
from portal.jobs import runner
from portal.jobs.models import Job
from portal.pages import redrawn
from portal.security import role_required

bp = Blueprint("data", __name__, url_prefix="/datasets")

ROLES = ["", "participant_id", "study_id", "arm", "outcome", "event", "time", "covariate"]
TYPES = ["string", "integer", "number", "boolean", "date", "datetime", "year"]


def get_dataset(slug: str) -> Dataset:
    dataset = db.session().scalar(select(Dataset).where(Dataset.slug == slug))
    # A draft is not merely forbidden to others: it does not exist for them.
    if dataset is None or not policy.can_view_dataset(current_user, dataset):
        abort(404)
    return dataset


def get_version(dataset: Dataset, number: int) -> DatasetVersion:
    for version in policy.visible_versions(current_user, dataset):
        if version.number == number:
            return version
    abort(404)


def require_editor(dataset: Dataset) -> None:
    if not policy.can_edit_dataset(current_user, dataset):
        abort(403)


def editable_version(slug: str, number: int) -> tuple[Dataset, DatasetVersion]:
    """A version its dataset's editor works on: whoever may not see the dataset gets a
    missing page, whoever sees it but may not edit it a refusal."""
    dataset = get_dataset(slug)
    require_editor(dataset)
    return dataset, get_version(dataset, number)


def metadata_problems_to_form(form, error: MetadataError) -> None:
    for problem in error.problems:
        field = getattr(form, problem.get("field") or "", None) or form.title
        field.errors.append(problem["message"])


def _spool_upload(file_storage) -> Path:
    """The uploaded file on disk, once the member has room for another job and the file."""
    session = db.session()
    runner.check_room(session, current_user.id)
    try:
        path = spool(
            file_storage.stream,
            services.incoming_dir(current_app),
            max_bytes=services.limits(current_app).max_bytes,
            filename=Path(file_storage.filename or "data").name,
        )
    except DatasetError as error:
        raise ServiceError(str(error), "file") from None
    try:
        services.check_storage(session, current_app, current_user.id, path.stat().st_size)
    except ServiceError:
        path.unlink()
        raise
    return path


def start_job(kind: str, payload: dict) -> str:
    session = db.session()
    job = runner.submit(session, kind, payload, owner_id=current_user.id)
    session.commit()
    runner.start(job.id)
    return job.id


@bp.get("/")
def index():
    session = db.session()
    filters = Filters(
        **{name: request.args.get(name, "")[:200] for name in Filters.__annotations__}
    )
    statement = apply_filters(session, policy.visible_datasets(current_user), filters)
    page = max(1, request.args.get("page", 1, type=int))
    per_page = 20
    datasets = session.scalars(
        statement.order_by(Dataset.updated_at.desc(), Dataset.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    return render_template(
        "data/index.html",
        datasets=datasets[:per_page],
        has_more=len(datasets) > per_page,
        page=page,
        filters=filters,
        conditions=facet_values(session, "condition"),
        interventions=facet_values(session, "intervention"),
        licences=LICENCES,
        designs=STUDY_DESIGNS,
    )


@bp.app_template_global("starts_a_dataset")
def starts_a_dataset(job: Job) -> bool:
    return services.starts_a_dataset(job)


def _failed_upload(job_id: str) -> Job | None:
    """The member's own upload job, whose details a new upload may start from."""
    job = db.session().get(Job, job_id) if job_id else None
    if job is None or job.owner_id != current_user.id or not services.starts_a_dataset(job):
        return None
    return job


def _failed_version_upload(job_id: str, dataset: Dataset) -> Job | None:
    """The member's own upload of a new version of ``dataset``, whose change note a new
    upload may start from."""
    job = db.session().get(Job, job_id) if job_id else None
    if (
        job is None
        or job.owner_id != current_user.id
        or job.kind != "dataset.ingest"
        or job.payload.get("dataset_id") != dataset.id
    ):
        return None
    return job


@bp.app_template_global("version_retry_url")
def version_retry_url(job: Job) -> str | None:
    """Where a failed upload of a new version is tried again, for its owner."""
    if job.kind != "dataset.ingest" or not job.payload.get("dataset_id"):
        return None
    dataset = db.session().get(Dataset, job.payload["dataset_id"])
    if dataset is None or not policy.can_edit_dataset(current_user, dataset):
        return None
    return url_for("data.new_version", slug=dataset.slug, from_job=job.id)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.RESEARCHER)
@limiter.shared_limit(upload_limit, "upload", key_func=user_or_address, methods=["POST"])
def new():
    form = UploadForm()
    retry = _failed_upload(request.args.get("from_job", ""))
    if request.method == "GET" and retry:
        # try again after a failed upload: everything typed then is typed again
        form.fill_from(retry.payload.get("metadata") or {})
    refused = 400
    if form.validate_on_submit():
        try:
            DatasetMetadata.from_dict(form.metadata_dict())
            upload = _spool_upload(form.file.data)
        except MetadataError as error:
            metadata_problems_to_form(form, error)
        except ServiceError as error:
            form.file.errors.append(str(error))
            refused = error.status
        else:
            job_id = start_job(
                "dataset.ingest",
                {
                    "upload": str(upload),
                    "filename": Path(form.file.data.filename or "data").name,
                    "user_id": current_user.id,
                    "metadata": form.metadata_dict(),
                    "change_note": "First version.",
                },
            )
            return redirect(url_for("jobs.show", job_id=job_id), 303)
    return redrawn(form, render_template("data/new.html", form=form, retry=retry), refused)


@bp.get("/<slug>")
def show(slug: str):
    dataset = get_dataset(slug)
    versions = policy.visible_versions(current_user, dataset)
    if not versions:
        abort(404)
    number = request.args.get("version", type=int)
    version = get_version(dataset, number) if number else versions[-1]
    return render_version(dataset, version)


def render_version(
    dataset: Dataset, version: DatasetVersion, *, risk_form: RiskForm | None = None, status=200
):
    slug = dataset.slug
    versions = policy.visible_versions(current_user, dataset)
    previous = next((v for v in reversed(versions) if v.number < version.number), None)
    editor = policy.can_edit_dataset(current_user, dataset)
    jsonld = None
    if version.published_at is not None:
        jsonld = dataset_jsonld(
            dataset.meta,
            schema=version.schema,
            url=url_for("data.show", slug=slug, _external=True),
            download_url=url_for(
                "data.download", slug=slug, number=version.number, kind="csv", _external=True
            ),
            date_published=(dataset.published_at or version.published_at).date().isoformat(),
            date_modified=version.published_at.date().isoformat(),
            version=str(version.number),
            sha256=version.sha256,
            size=version.size_bytes,
            publisher="Open Research Portal",
        )
    return render_template(
        "data/show.html",
        dataset=dataset,
        version=version,
        versions=versions,
        changes=services.column_changes(previous, version),
        previous=previous,
        editor=editor,
        problems=services.publication_problems(version),
        form=EmptyForm(),
        fix_options=fix_options(version),
        fix_form=FixForm(),
        jsonld=jsonld,
        citation=citation_text(dataset, version),
        must_confirm=services.must_confirm(version),
        reviews=services.reviews_by_finding(version),
        risk_problem=services.risk_problem(version, *services.risk_limits()),
        risk_key=services.RISK,
        curator=policy.is_curator(current_user),
        confirm_form=ConfirmForm(),
        risk_form=risk_form or RiskForm(formdata=None),
    ), status


def citation_text(dataset: Dataset, version: DatasetVersion) -> str:
    owner = dataset.owner.name
    year = (version.published_at or version.created_at).year
    url = url_for("data.show", slug=dataset.slug, version=version.number, _external=True)
    text = (
        f"{owner} ({year}). {dataset.title} (version {version.number}) [Data set]. "
        f"Open Research Portal. {url}"
    )
    doi = dataset.meta.get("doi")
    return text + (f" Original publication: https://doi.org/{doi}" if doi else "")


@bp.app_template_global("fix_offer")
def fix_offer(option: dict) -> str:
    return fixes.offer(option)


def fix_options(version: DatasetVersion) -> list[dict]:
    """The fixes offered for a draft's findings, in a stable order the form refers to."""
    options: list[dict] = []
    seen: set[str] = set()
    for finding in version.screening.get("findings", []):
        column = finding.get("column")
        candidates = []
        if finding.get("suggested_fix"):
            # A draft screened earlier may name a fix by its former name.
            with contextlib.suppress(FixError):
                candidates.append(fixes.fix_to_dict(fixes.fix_from_dict(finding["suggested_fix"])))
        if column:
            candidates.append({"fix": "drop_column", "column": column})
        for fix in candidates:
            key = json.dumps(fix, sort_keys=True)
            if key not in seen:
                seen.add(key)
                options.append(fix)
    return options


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    dataset = get_dataset(slug)
    require_editor(dataset)
    form = MetadataForm()
    if not form.is_submitted():
        form.fill_from(dataset.meta)
    if form.validate_on_submit():
        session = db.session()
        try:
            metadata = DatasetMetadata.from_dict(
                {**_kept_metadata(dataset), **form.metadata_dict()}
            )
        except MetadataError as error:
            metadata_problems_to_form(form, error)
        else:
            services.update_metadata(
                session, dataset, metadata, actor=policy.require_account(current_user)
            )
            session.commit()
            flash("Metadata saved.", "success")
            return redirect(url_for("data.show", slug=slug), 303)
    return redrawn(form, render_template("data/edit.html", form=form, dataset=dataset))


def _kept_metadata(dataset: Dataset) -> dict:
    # Fields the form does not show (creators, sources) survive an edit.
    meta = dataset.meta
    return {key: meta[key] for key in ("creators", "sources") if key in meta}


@bp.route("/<slug>/versions/new", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(upload_limit, "upload", key_func=user_or_address, methods=["POST"])
def new_version(slug: str):
    dataset = get_dataset(slug)
    require_editor(dataset)
    form = VersionForm()
    retry = _failed_version_upload(request.args.get("from_job", ""), dataset)
    if request.method == "GET" and retry:
        form.change_note.data = retry.payload.get("change_note", "")
    refused = 400
    if form.validate_on_submit():
        try:
            upload = _spool_upload(form.file.data)
        except ServiceError as error:
            form.file.errors.append(str(error))
            refused = error.status
        else:
            job_id = start_job(
                "dataset.ingest",
                {
                    "upload": str(upload),
                    "filename": Path(form.file.data.filename or "data").name,
                    "user_id": current_user.id,
                    "dataset_id": dataset.id,
                    "change_note": form.change_note.data.strip(),
                },
            )
            return redirect(url_for("jobs.show", job_id=job_id), 303)
    page = render_template("data/new_version.html", form=form, dataset=dataset, retry=retry)
    return redrawn(form, page, refused)


@bp.route("/<slug>/versions/<int:number>/publish", methods=["GET", "POST"])
@login_required
def publish(slug: str, number: int):
    """What will become public, the re-identification result in plain words, and a
    confirmation: publishing cannot be undone."""
    dataset, version = editable_version(slug, number)
    if version.is_published:
        flash(f"Version {number} is published already.", "success")
        return redirect(url_for("data.show", slug=slug, version=number), 303)
    form = PublishForm()
    status = 200
    if form.is_submitted():
        if not form.validate():
            abort(400)
        session = db.session()
        try:
            services.publish(
                session,
                version,
                actor=policy.require_account(current_user),
                confirmed=bool(form.confirm.data),
            )
        except ServiceError as error:
            session.rollback()
            form.confirm.errors = [str(error)]
            status = error.status
        else:
            session.commit()
            flash(f"Version {number} is published.", "success")
            return redirect(url_for("data.show", slug=slug, version=number), 303)
    reviews = services.reviews_by_finding(version)
    return render_template(
        "data/publish.html",
        dataset=dataset,
        version=version,
        form=form,
        problems=services.publication_problems(version),
        confirmed=[(f, reviews.get(f["key"])) for f in services.must_confirm(version)],
        risk=services.reidentification_summary(version),
        changes=_previous_changes(dataset, version),
    ), status


def _previous_changes(dataset: Dataset, version: DatasetVersion) -> dict[str, Any] | None:
    """How the version differs from the one before it, when there is one."""
    versions = policy.visible_versions(current_user, dataset)
    previous = next((v for v in reversed(versions) if v.number < version.number), None)
    if previous is None:
        return None
    return {"previous": previous, **services.column_changes(previous, version)}


@bp.get("/<slug>/compare")
def compare(slug: str):
    """Two versions side by side, row by row and cell by cell."""
    dataset = get_dataset(slug)
    versions = policy.visible_versions(current_user, dataset)
    if not versions:
        abort(404)
    new = get_version(dataset, request.args.get("to", type=int) or versions[-1].number)
    before = next((v for v in reversed(versions) if v.number < new.number), new)
    old = get_version(dataset, request.args.get("from", type=int) or before.number)
    key = request.args.get("key", "")[:300]
    page = max(1, request.args.get("page", 1, type=int))
    per_page = comparing.CELLS_PER_PAGE
    comparison, problem = None, None
    try:
        comparison = comparing.compare_versions(current_app, old, new, key=key or None)
    except ServiceError as error:
        problem = str(error)
    cells = comparison.cell_range((page - 1) * per_page, per_page) if comparison else []
    return render_template(
        "data/compare.html",
        dataset=dataset,
        versions=versions,
        old=old,
        new=new,
        key=comparison.key if comparison else key or comparing.suggested_key(old, new),
        columns=comparing.shared_columns(old, new),
        comparison=comparison,
        problem=problem,
        cells=cells,
        page=page,
        per_page=per_page,
        first_cell=(page - 1) * per_page + 1,
    ), 400 if problem else 200


@bp.get("/<slug>/compare.csv")
def compare_csv(slug: str):
    """Every changed cell, and every row added or removed, as CSV."""
    dataset = get_dataset(slug)
    old = get_version(dataset, request.args.get("from", 0, type=int))
    new = get_version(dataset, request.args.get("to", 0, type=int))
    key = request.args.get("key", "")[:300]
    comparison = comparing.compare_versions(current_app, old, new, key=key or None, limit=0)
    return send_file(
        comparing.changes_csv(comparison),
        as_attachment=True,
        download_name=f"{dataset.slug}-v{old.number}-to-v{new.number}-changes.csv",
        mimetype="text/csv",
    )


@bp.post("/<slug>/versions/<int:number>/confirm")
@login_required
def confirm(slug: str, number: int):
    """The dataset's editor confirms findings they have read (free text, quasi-identifiers...)."""
    dataset, version = editable_version(slug, number)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(
            "; ".join(e for errors in form.errors.values() for e in errors)
            or "Tick the findings you have checked.",
            "error",
        )
        return redirect(url_for("data.show", slug=slug, version=number), 303)
    session = db.session()
    try:
        added = services.confirm_findings(
            session,
            version,
            form.findings.data or [],
            reviewer=policy.require_account(current_user),
        )
    except ServiceError as error:
        session.rollback()
        flash(str(error), "error")
    else:
        session.commit()
        flash(f"{len(added)} finding{'' if len(added) == 1 else 's'} confirmed.", "success")
    return redirect(url_for("data.show", slug=slug, version=number) + "#screening", 303)


@bp.post("/<slug>/versions/<int:number>/accept-risk")
@login_required
def accept_risk(slug: str, number: int):
    """A curator accepts a re-identification risk above the threshold, giving a reason."""
    dataset = get_dataset(slug)
    version = get_version(dataset, number)
    if not policy.is_curator(current_user):
        abort(403)
    form = RiskForm()
    if not form.validate_on_submit():
        return render_version(dataset, version, risk_form=form, status=400)
    session = db.session()
    try:
        services.accept_risk(
            session,
            version,
            form.reason.data or "",
            curator=policy.require_account(current_user),
            app=current_app,
        )
    except ServiceError as error:
        session.rollback()
        form.reason.errors = [str(error)]
        return render_version(dataset, version, risk_form=form, status=error.status)
    session.commit()
    flash("The risk is accepted and recorded with your reason.", "success")
    return redirect(url_for("data.show", slug=slug, version=number) + "#screening", 303)


@bp.post("/<slug>/versions/<int:number>/fix")
@login_required
def fix(slug: str, number: int):
    dataset, version = editable_version(slug, number)
    options = fix_options(version)
    form = FixForm()
    form.fixes.choices = [str(index) for index in range(len(options))]
    if not form.validate_on_submit() or not form.fixes.data:
        flash("Choose at least one of the offered fixes.", "error")
        return redirect(url_for("data.show", slug=slug, version=number), 303)
    chosen = [options[int(index)] for index in form.fixes.data]
    try:
        job_id = start_job(
            "dataset.fix", {"version_id": version.id, "fixes": chosen, "user_id": current_user.id}
        )
    except runner.TooManyJobs as error:
        db.session().rollback()
        flash(error.message, "error")
        return redirect(url_for("data.show", slug=slug, version=number), 303)
    return redirect(url_for("jobs.show", job_id=job_id), 303)


@bp.route("/<slug>/versions/<int:number>/schema", methods=["GET", "POST"])
@login_required
def schema(slug: str, number: int):
    dataset, version = editable_version(slug, number)
    if version.is_published:
        flash(
            "A published version never changes. Upload a new version to change its "
            "data dictionary.",
            "error",
        )
        return redirect(url_for("data.show", slug=slug, version=number), 303)
    form = EmptyForm()
    problems: list[dict] = []
    schema_doc = version.schema
    quasi = version.quasi_identifiers
    if form.validate_on_submit():
        schema_doc, quasi = schema_from_form(version.schema, request.form)
        problems = check_schema(schema_doc, [f["name"] for f in version.schema["fields"]])
        status = 400
        if not problems:
            try:
                job_id = start_job(
                    "dataset.revalidate",
                    {"version_id": version.id, "schema": schema_doc, "quasi_identifiers": quasi},
                )
            except runner.TooManyJobs as error:
                # The corrected dictionary is shown again, to send once a job has finished.
                db.session().rollback()
                problems, status = [{"field": None, "message": error.message}], error.status
            else:
                return redirect(url_for("jobs.show", job_id=job_id), 303)
    else:
        status = 200
    return render_template(
        "data/schema.html",
        dataset=dataset,
        version=version,
        form=form,
        schema=schema_doc,
        quasi=quasi,
        problems=problems,
        roles=ROLES,
        types=TYPES,
    ), status


def schema_from_form(schema_doc: dict, form) -> tuple[dict, list[str]]:
    """The data dictionary as the uploader corrected it (names and order are fixed)."""
    updated = json.loads(json.dumps(schema_doc))
    quasi = []
    for index, field in enumerate(updated["fields"]):
        prefix = f"field-{index}-"
        field["type"] = form.get(prefix + "type", field.get("type", "string"))[:20]
        if field["type"] not in ("date", "datetime"):
            field.pop("format", None)
        for key in ("title", "description", "unit"):
            value = form.get(prefix + key, "").strip()[:2000]
            if value:
                field[key] = value
            else:
                field.pop(key, None)
        role = form.get(prefix + "role", "")
        if role:
            field["role"] = role
        else:
            field.pop("role", None)
        if prefix + "missing" in form:
            codes = {code.strip() for code in form[prefix + "missing"].split(",")}
            field["missingValues"] = sorted(codes | {""})
        required = form.get(prefix + "required") == "on"
        constraints = field.setdefault("constraints", {})
        if required:
            constraints["required"] = True
        else:
            constraints.pop("required", None)
        if not constraints:
            field.pop("constraints", None)
        if form.get(prefix + "quasi") == "on":
            quasi.append(field["name"])
    return updated, quasi


@bp.get("/<slug>/versions/<int:number>/download/<any(original, csv, datapackage):kind>")
def download(slug: str, number: int, kind: str):
    dataset = get_dataset(slug)
    version = get_version(dataset, number)
    store = services.blob_store(current_app)
    stem = f"{dataset.slug}-v{version.number}"
    if kind == "original":
        stream = store.open(version.sha256)
        return send_file(
            stream,
            as_attachment=True,
            download_name=version.filename,
            mimetype="application/octet-stream",
            etag=version.sha256,
        )
    # Handed to send_file, which closes it when the response ends.
    spooled = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115
    with local_copy(store, version.sha256, verify=True) as path:
        if kind == "csv":
            export_csv(path, spooled, filename=version.filename, dialect=version.dialect)
            name, mimetype = f"{stem}.csv", "text/csv"
        else:
            export_datapackage(
                path,
                spooled,
                schema=version.schema,
                metadata=dataset.meta,
                name=dataset.slug,
                version=str(version.number),
                filename=version.filename,
                dialect=version.dialect,
            )
            name, mimetype = f"{stem}-datapackage.zip", "application/zip"
    spooled.seek(0)
    return send_file(spooled, as_attachment=True, download_name=name, mimetype=mimetype)


@bp.get("/<slug>/versions/<int:number>/report.json")
def report_json(slug: str, number: int) -> dict[str, Any]:
    dataset = get_dataset(slug)
    version = get_version(dataset, number)
    return {
        "schema": version.schema,
        "report": version.report,
        "screening": version.screening,
        "fixes": version.fixes,
    }
