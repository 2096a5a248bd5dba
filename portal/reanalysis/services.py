"""What analysis runs do in the portal. Functions take a session and never commit.

A run records its inputs (dataset versions by id and SHA-256), the harmonisation,
the measure, method and options; :func:`compute` reads the stored bytes of those
versions and calls the ``analysis`` package. Every input problem becomes an
``AnalysisInputError`` naming the study and the field.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
import analysis.filters
from datasets.reading import open_table
from datasets.storage import local_copy
from portal import policy
from portal.accounts.models import User
from portal.data import services as data_services
from portal.data.models import Dataset, DatasetVersion
from portal.db import utcnow
from portal.errors import Conflict, NotFound, ServiceError
from portal.jobs import runner
from portal.jobs.models import Job
from portal.reanalysis.models import KINDS, AnalysisInput, AnalysisRun, RunStatus


def latest_finished(session: Session, limit: int = 5) -> list[AnalysisRun]:
    return list(
        session.scalars(
            select(AnalysisRun)
            .where(AnalysisRun.status == RunStatus.FINISHED)
            .order_by(AnalysisRun.finished_at.desc(), AnalysisRun.id.desc())
            .limit(limit)
        )
    )


def runs_using(session: Session, dataset: Dataset, limit: int = 10) -> list[AnalysisRun]:
    """Finished runs that used any version of ``dataset``."""
    return list(
        session.scalars(
            select(AnalysisRun)
            .join(AnalysisInput)
            .join(DatasetVersion)
            .where(
                DatasetVersion.dataset_id == dataset.id, AnalysisRun.status == RunStatus.FINISHED
            )
            .order_by(AnalysisRun.finished_at.desc(), AnalysisRun.id.desc())
            .limit(limit)
        ).unique()
    )


# --- choosing inputs --------------------------------------------------------------------------


def published_versions(session: Session, level: str | None = None) -> list[DatasetVersion]:
    """Every published version (of datasets of ``level``), newest datasets first."""
    statement = (
        select(DatasetVersion)
        .join(Dataset)
        .where(DatasetVersion.published_at.is_not(None))
        .order_by(Dataset.title, DatasetVersion.number.desc())
    )
    if level:
        statement = statement.where(Dataset.level == level)
    return list(session.scalars(statement))


def find_version(
    session: Session, user: Any, slug: str, number: Any, *, field: str = "datasets"
) -> DatasetVersion:
    """A published version by dataset slug and version number, or an error naming the field."""
    dataset = session.scalar(select(Dataset).where(Dataset.slug == str(slug)))
    if dataset is None or not policy.can_view_dataset(user, dataset):
        raise NotFound(f"No dataset {slug!r}.", field)
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise ServiceError(f"The version of {slug!r} must be a whole number.", field) from None
    version = next((v for v in dataset.versions if v.number == number), None)
    if version is None or not (version.is_published or policy.can_edit_dataset(user, dataset)):
        raise NotFound(f"No version {number} of dataset {slug!r}.", field)
    if not version.is_published:
        raise Conflict(
            f"Version {number} of {slug!r} is not published; only published "
            "versions can be analysed.",
            field,
            code="not_published",
        )
    return version


def version_by_key(
    session: Session, user: Any, key: str, field: str = "datasets"
) -> DatasetVersion:
    """``key`` is ``slug@number`` (what the pages' selects submit)."""
    slug, _, number = key.rpartition("@")
    return find_version(session, user, slug, number, field=field)


def create_run(
    session: Session,
    owner: User,
    *,
    title: str,
    kind: str,
    versions: list[DatasetVersion],
    description: str = "",
) -> AnalysisRun:
    title = (title or "").strip()
    if not title:
        raise ServiceError("Give the analysis a title.", "title")
    if kind not in KINDS:
        raise ServiceError(f"kind must be one of {', '.join(KINDS)}.", "kind")
    if not versions:
        raise ServiceError("Choose at least one published dataset version.", "datasets")
    if kind == "aggregate" and len(versions) != 1:
        raise ServiceError(
            "An aggregate meta-analysis uses exactly one dataset whose rows are studies.",
            "datasets",
        )
    if len({v.id for v in versions}) != len(versions):
        raise ServiceError("The same dataset version is chosen twice.", "datasets")
    for version in versions:
        if not version.is_published:
            raise Conflict(
                f"Version {version.number} of {version.dataset.slug!r} is not published.",
                "datasets",
                code="not_published",
            )
    run = AnalysisRun(
        owner_id=owner.id,
        title=title[:300],
        description=description or "",
        kind=kind,
        status=RunStatus.DRAFT,
    )
    run.inputs = [
        AnalysisInput(version_id=v.id, sha256=v.sha256, position=i) for i, v in enumerate(versions)
    ]
    session.add(run)
    session.flush()
    return run


def _require_draft(run: AnalysisRun) -> None:
    if not run.is_draft:
        raise Conflict(
            "This run has been started and can no longer change; rerun it to make a new one.",
            None,
        )


def set_harmonisation(run: AnalysisRun, harmonisation: dict[str, Any]) -> None:
    _require_draft(run)
    run.harmonisation = harmonisation


def filters_text(filters: Any) -> str:
    """Stored filters as the lines a user types ("age >= 50")."""
    try:
        return "\n".join(str(f) for f in analysis.filters.as_filters(filters))
    except analysis.AnalysisInputError:
        return ""


def set_method(
    run: AnalysisRun,
    *,
    measure: str,
    method: str,
    hk: bool = False,
    level: float = 0.95,
    participant: dict[str, Any] | None = None,
) -> None:
    """``participant`` holds the participant-level options (stage, covariates,
    study_effect, filters), checked by :class:`analysis.RunSpec` and stored so that a
    rerun reproduces them (filters as dicts, whatever form they were typed in)."""
    _require_draft(run)
    try:
        spec = analysis.RunSpec.from_options(
            kind=run.kind,
            measure=measure,
            method=method,
            datasets=_dataset_names(run),
            harmonisation=run.harmonisation,
            options={"hk": hk, "level": level, **(participant or {})},
        )
    except analysis.AnalysisInputError as error:
        raise ServiceError(error.reason, error.field) from None
    run.measure, run.method = spec.measure.value, spec.method.value
    run.options = spec.options()


def queue(session: Session, run: AnalysisRun) -> Job:
    """Submit the run's job (it starts when the caller commits and calls runner.start)."""
    _require_draft(run)
    if not run.measure:
        raise ServiceError("Choose a measure and a method first.", "measure")
    job = runner.submit(session, "analysis.run", {"run_id": run.id}, owner_id=run.owner_id)
    run.status = RunStatus.QUEUED
    run.job_id = job.id
    return job


def rerun(session: Session, run: AnalysisRun, owner: User) -> AnalysisRun:
    """A new draft with the same inputs, harmonisation, measure, method and options."""
    new = AnalysisRun(
        owner_id=owner.id,
        title=run.title,
        description=run.description,
        kind=run.kind,
        status=RunStatus.DRAFT,
        measure=run.measure,
        method=run.method,
        options=copy.deepcopy(run.options),
        harmonisation=copy.deepcopy(run.harmonisation),
        rerun_of_id=run.id,
    )
    new.inputs = [
        AnalysisInput(version_id=i.version_id, sha256=i.sha256, position=i.position)
        for i in run.inputs
    ]
    session.add(new)
    session.flush()
    return new


# --- reading the data -------------------------------------------------------------------------


def _missing_values(version: DatasetVersion) -> set[str]:
    return set(version.schema.get("missingValues", [""])) | {""}


def read_frame(app: Flask, version: DatasetVersion, sha256: str) -> pd.DataFrame:
    """The version's table as a data frame: a column whose every present value is a number
    becomes numeric; others stay text (so a non-numeric count is reported, not hidden)."""
    if version.sha256 != sha256:
        raise analysis.AnalysisInputError(
            "the stored bytes do not match the recorded SHA-256",
            study=version.dataset.slug,
            field="sha256",
        )
    store = data_services.blob_store(app)
    missing = _missing_values(version)
    with local_copy(store, sha256, verify=True) as path:
        table = open_table(path, filename=version.filename, dialect=version.dialect)
        columns: dict[str, list[Any]] = {name: [] for name in table.header}
        for batch in table.batches():
            for name, array in zip(table.header, batch.columns, strict=True):
                columns[name].extend(array.to_pylist())
    frame = pd.DataFrame(
        {
            name: pd.Series([None if v in missing else v for v in values], dtype=object)
            for name, values in columns.items()
        }
    )
    for name in frame.columns:
        present = frame[name].dropna()
        converted = pd.to_numeric(present, errors="coerce")
        if len(present) and not converted.isna().any():
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
    return frame


def column_names(version: DatasetVersion) -> list[str]:
    return [f["name"] for f in version.schema.get("fields", [])]


def top_values(version: DatasetVersion) -> dict[str, list[str]]:
    """Each column's most frequent values, from the version's report."""
    return {
        c["name"]: [str(t["value"]) for t in c.get("top", [])]
        for c in version.report.get("columns", [])
    }


# --- computing --------------------------------------------------------------------------------


def _dataset_names(run: AnalysisRun) -> list[str]:
    """Each input's name in the harmonisation and in messages: its dataset's slug."""
    return [item.version.dataset.slug for item in run.inputs]


def compute(
    app: Flask, run: AnalysisRun, progress: analysis.runs.Progress = lambda fraction, message: None
) -> analysis.RunResult:
    """Run the analysis the run describes on the stored bytes of its dataset versions.
    Raises AnalysisInputError or ConvergenceError."""
    for item in run.inputs:
        if not item.version.is_published:
            raise analysis.AnalysisInputError(
                f"version {item.version.number} is not published",
                study=item.version.dataset.slug,
                field="version",
            )
    spec = analysis.RunSpec.from_options(
        kind=run.kind,
        measure=run.measure,
        method=run.method,
        datasets=_dataset_names(run),
        harmonisation=run.harmonisation,
        options=run.options,
    )
    progress(0.1, "Reading the dataset versions")
    frames = {i.version.dataset.slug: read_frame(app, i.version, i.sha256) for i in run.inputs}
    return analysis.execute(spec, frames, progress=progress)


def record_success(run: AnalysisRun, computed: analysis.RunResult) -> None:
    run.results = computed.results
    run.software = computed.results["software"]
    run.status = RunStatus.FINISHED
    run.error, run.error_study, run.error_field = "", None, None
    run.finished_at = utcnow()


def record_failure(
    run: AnalysisRun, message: str, *, study: str | None = None, field: str | None = None
) -> None:
    run.status = RunStatus.FAILED
    run.error = message
    run.error_study = study[:300] if study else None
    run.error_field = field[:120] if field else None
    run.results = {}
    run.finished_at = utcnow()


# --- presenting -------------------------------------------------------------------------------


def run_json(run: AnalysisRun, url_for) -> dict[str, Any]:
    out = {
        "id": run.id,
        "title": run.title,
        "description": run.description,
        "kind": run.kind,
        "status": run.status,
        "owner": run.owner.username,
        "measure": run.measure or None,
        "method": run.method or None,
        "options": run.options,
        "datasets": [
            {
                "slug": i.version.dataset.slug,
                "version": i.version.number,
                "version_id": i.version_id,
                "sha256": i.sha256,
                "url": url_for(
                    "data.show",
                    slug=i.version.dataset.slug,
                    version=i.version.number,
                    _external=True,
                ),
            }
            for i in run.inputs
        ],
        "harmonisation": run.harmonisation,
        "software": run.software or None,
        "error": (
            {"message": run.error, "study": run.error_study, "field": run.error_field}
            if run.status == RunStatus.FAILED
            else None
        ),
        "rerun_of": run.rerun_of_id,
        "job": run.job_id,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "url": url_for("reanalysis.show", run_id=run.id, _external=True),
    }
    if run.is_finished:
        out["results"] = run.results
    return out


def fmt(value: Any, digits: int = 3) -> str:
    # Runs are immutable records: one made by an older version lacks newer fields.
    if (
        not isinstance(value, (int, float, np.number))
        or isinstance(value, bool)
        or not math.isfinite(value)
    ):
        return "–"
    if isinstance(value, (int, np.integer)):
        return str(value)
    return f"{value:.{digits}f}"


def fmt_p(value: Any) -> str:
    """A p-value as journals print it: "< 0.0001" rather than a row of zeros."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "= –"
    return "< 0.0001" if value < 0.0001 else f"= {value:.4f}"


def results_csv(run: AnalysisRun) -> str:
    """Per-study rows then the pooled row, numbers at full precision."""
    import csv
    import io

    pooled = run.results.get("pooled", {})
    ratio = pooled.get("scale") == "log"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["row", "study", "yi", "se", "ci_low", "ci_high", "weight_percent"]
    if ratio:
        header += ["yi_exp", "ci_low_exp", "ci_high_exp"]
    writer.writerow(header)
    for s in pooled.get("studies", []):
        row = ["study", s["study"], s["yi"], s["se"], s["ci_low"], s["ci_high"], s["weight"]]
        if ratio:
            row += [s["yi_exp"], s["ci_low_exp"], s["ci_high_exp"]]
        writer.writerow(row)
    row = [
        "pooled",
        f"{pooled.get('method')} ({pooled.get('measure')})",
        pooled.get("estimate"),
        pooled.get("se"),
        pooled.get("ci_low"),
        pooled.get("ci_high"),
        100.0,
    ]
    if ratio:
        row += [pooled.get("estimate_exp"), pooled.get("ci_low_exp"), pooled.get("ci_high_exp")]
    writer.writerow(row)
    for name in ("tau2", "i2", "q", "q_df", "q_pvalue", "pvalue", "pi_low", "pi_high"):
        writer.writerow(["statistic", name, pooled.get(name)])
    for name in ("tau2_ci_low", "tau2_ci_high", "i2_ci_low", "i2_ci_high"):
        if pooled.get(name) is not None:
            writer.writerow(["statistic", name, pooled.get(name)])
    one = run.results.get("one_stage")
    if one:
        row = [
            "one-stage",
            one["model"],
            one["estimate"],
            one["se"],
            one["ci_low"],
            one["ci_high"],
            "",
        ]
        if ratio:
            row += [one.get("estimate_exp"), one.get("ci_low_exp"), one.get("ci_high_exp")]
        writer.writerow(row)
        for name in ("pvalue", "n", "events", "tau2"):
            writer.writerow(["one-stage statistic", name, one.get(name)])
    return out.getvalue()
