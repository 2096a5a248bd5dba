"""Finding published inputs, building a run and starting it. Functions take a session
and never commit.

A run records its inputs (dataset versions by id and SHA-256), the harmonisation, the
measure, method and options; it changes only while it is a draft. A rerun, an edit and
a run on newer versions are new drafts derived from it (``rerun_of_id``) with the same
of each, then changed as their builder says.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
import analysis.mapping
from portal import policy
from portal.accounts.models import User
from portal.data.models import Dataset, DatasetVersion
from portal.errors import Conflict, NotFound, ServiceError
from portal.jobs import runner
from portal.jobs.models import Job
from portal.reanalysis import network
from portal.reanalysis.inputs import column_names, top_values
from portal.reanalysis.models import AnalysisInput, AnalysisRun, RunStatus

#: aggregate and participant-level runs go through ``analysis.execute``; a network run
#: through :mod:`portal.reanalysis.network`.
KINDS = (*analysis.Kind, "network")


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
            "This analysis has already run and is kept as it is; edit it into a new run instead.",
            None,
        )


def mapping_field(run: AnalysisRun, error: analysis.AnalysisInputError) -> str | None:
    """Where a mapping problem belongs: the role or extra of an aggregate mapping
    (``n2i``, ``study``), ``datasets.<slug>.<part>`` in a participant-level one."""
    if run.kind == "aggregate" or not error.study or error.study not in dataset_names(run):
        return error.field
    return f"datasets.{error.study}.{error.field or 'dataset'}"


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text


def check_harmonisation(run: AnalysisRun, harmonisation: Any) -> None:
    """The one check of a mapping against the run's datasets (pages and API alike):
    every chosen column exists and the outcome is complete. Raises ServiceError whose
    field says where the problem is (see :func:`mapping_field`)."""
    if run.kind == network.KIND:
        network.check_mapping(run, harmonisation, run.measure)
        return
    columns = {item.version.dataset.slug: column_names(item.version) for item in run.inputs}
    try:
        analysis.mapping.check_mapping(run.kind, harmonisation, columns)
    except analysis.AnalysisInputError as error:
        message = _sentence(error.reason)
        if run.kind != "aggregate" and error.study:
            titles = {i.version.dataset.slug: i.version.dataset.title for i in run.inputs}
            message = f"{titles.get(error.study, error.study)}: {message}"
        raise ServiceError(message, mapping_field(run, error)) from None


def set_harmonisation(run: AnalysisRun, harmonisation: dict[str, Any]) -> None:
    _require_draft(run)
    check_harmonisation(run, harmonisation)
    run.harmonisation = harmonisation


def suggested_harmonisation(run: AnalysisRun) -> dict[str, Any]:
    """A first mapping from the datasets' data dictionaries (roles, names, titles), for a
    draft whose owner has not mapped anything yet."""
    if run.kind == "aggregate":
        return analysis.mapping.suggest_aggregate(run.inputs[0].version.schema.get("fields", []))
    datasets: dict[str, Any] = {}
    types = []
    for item in run.inputs:
        version = item.version
        guess = analysis.mapping.suggest_participant(
            version.schema.get("fields", []), top_values(version)
        )
        types.append(guess.pop("outcome_type"))
        datasets[version.dataset.slug] = guess
    # a covariate suggested in one dataset only would stop the mapping until cleared
    shared = set.intersection(*(set(m["covariates"]) for m in datasets.values()))
    for m in datasets.values():
        m["covariates"] = {k: v for k, v in m["covariates"].items() if k in shared}
    chosen = {t for t in types if t}
    return {
        "outcome_type": chosen.pop() if len(chosen) == 1 else None,
        "datasets": datasets,
        "missing": "drop",
        "categorical": [],
    }


def set_method(
    run: AnalysisRun,
    *,
    measure: str,
    method: str,
    hk: bool = False,
    test: str | None = None,
    level: float | str = 0.95,
    participant: dict[str, Any] | None = None,
    regression: dict[str, Any] | None = None,
) -> None:
    """``participant`` holds the participant-level options (stage, covariates,
    study_effect, filters) and ``regression`` a meta-regression's (permutations, seed,
    predict), checked by :class:`analysis.RunSpec` and stored so that a rerun
    reproduces them (filters and predictions as objects, whatever form they were typed
    in; the permutations' seed as chosen)."""
    _require_draft(run)
    try:
        spec = analysis.RunSpec.from_options(
            kind=run.kind,
            measure=measure,
            method=method,
            datasets=dataset_names(run),
            harmonisation=run.harmonisation,
            options={
                "hk": hk,
                "test": test,
                "level": level,
                **(participant or {}),
                **(regression or {}),
            },
        )
    except analysis.AnalysisInputError as error:
        raise ServiceError(error.reason, error.field) from None
    run.measure, run.method = spec.measure.value, spec.method.value
    run.options = spec.options()


def queue(session: Session, run: AnalysisRun, *, draw_plots: bool = True) -> Job:
    """Submit the run's job (it starts when the caller commits and calls runner.start).

    With ``draw_plots`` false the job records the results without drawing the plots;
    the first request for each plot draws it (see portal.reanalysis.figures).
    """
    _require_draft(run)
    if not run.measure:
        raise ServiceError(
            "Choose a measure first."
            if run.kind == "network"
            else "Choose a measure and a method first.",
            "measure",
        )
    payload: dict[str, object] = {"run_id": run.id}
    if not draw_plots:
        payload["draw_plots"] = False
    job = runner.submit(session, "analysis.run", payload, owner_id=run.owner_id)
    run.status = RunStatus.QUEUED
    run.job_id = job.id
    return job


def rerun(session: Session, run: AnalysisRun, owner: User) -> AnalysisRun:
    """A new draft with the same inputs, harmonisation, measure, method and options."""
    return derive(session, run, owner)


def derive(
    session: Session,
    run: AnalysisRun,
    owner: User,
    versions: list[DatasetVersion] | None = None,
) -> AnalysisRun:
    """A new draft of ``owner`` made from ``run``, which stays as it is: the same
    specification, on ``versions`` (by position; default: the run's own). The draft
    records the run it came from."""
    if run.is_draft:
        raise Conflict("This analysis is still a draft; change it directly.", None)
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
    if versions is None:
        versions = [i.version for i in run.inputs]
    new.inputs = [
        AnalysisInput(version_id=v.id, sha256=v.sha256, position=i.position)
        for i, v in zip(run.inputs, versions, strict=True)
    ]
    session.add(new)
    session.flush()
    return new


def dataset_names(run: AnalysisRun) -> list[str]:
    """Each input's name in the harmonisation and in messages: its dataset's slug."""
    return [item.version.dataset.slug for item in run.inputs]
