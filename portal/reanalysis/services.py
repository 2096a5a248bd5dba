"""What analysis runs do in the portal. Functions take a session and never commit.

A run records its inputs (dataset versions by id and SHA-256), the harmonisation,
the measure, method and options; :func:`compute` reads the stored bytes of those
versions and calls the ``analysis`` package. Every input problem becomes an
``AnalysisInputError`` naming the study and the field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from flask import Flask
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

import analysis
import analysis.filters
import analysis.ipd
from analysis.effect_sizes import required_roles
from analysis.pooling import METHODS
from analysis.provenance import json_safe, software_versions
from datasets.reading import open_table
from datasets.storage import local_copy
from portal.accounts.models import Role, User
from portal.data import services as data_services
from portal.data.models import Dataset, DatasetVersion
from portal.db import utcnow
from portal.reanalysis.models import KINDS, AnalysisInput, AnalysisRun

OUTCOME_TYPES = ("binary", "continuous", "time-to-event")
MEASURES = {
    "aggregate": ("OR", "RR", "RD", "MD", "SMD"),
    "participant": ("OR", "RR", "RD", "MD", "SMD", "HR"),
}
MEASURE_LABELS = {
    "OR": "Odds ratio",
    "RR": "Risk ratio",
    "RD": "Risk difference",
    "MD": "Mean difference",
    "SMD": "Standardised mean difference (Hedges' g)",
    "HR": "Hazard ratio (Cox model per study)",
}
METHOD_LABELS = {
    "FE": "Fixed effect (inverse variance)",
    "DL": "Random effects, DerSimonian-Laird",
    "REML": "Random effects, REML",
    "PM": "Random effects, Paule-Mandel",
    "MH": "Mantel-Haenszel (fixed effect)",
    "PETO": "Peto (fixed effect, OR)",
}
AGGREGATE_ROLES = {
    "ai": "Events, treatment",
    "n1i": "Total, treatment",
    "ci": "Events, control",
    "n2i": "Total, control",
    "m1i": "Mean, treatment",
    "sd1i": "SD, treatment",
    "m2i": "Mean, control",
    "sd2i": "SD, control",
}
RATIO = ("OR", "RR", "HR")


class RunError(ValueError):
    """A request about a run that cannot be honoured; ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


# --- who may see and do what ---------------------------------------------------------------


def can_create(user: Any) -> bool:
    """Any logged-in member may create runs (on published versions only)."""
    return bool(getattr(user, "is_authenticated", False))


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.ADMIN))


def can_edit(user: Any, run: AnalysisRun) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and (user.id == run.owner_id or is_admin(user))
    )


def can_view(user: Any, run: AnalysisRun) -> bool:
    if can_edit(user, run):
        return True
    return run.is_finished and all(i.version.is_published for i in run.inputs)


def visible_runs(user: Any) -> Select:
    statement = select(AnalysisRun)
    if is_admin(user):
        return statement
    public = AnalysisRun.status == "finished"
    if getattr(user, "is_authenticated", False):
        return statement.where(or_(public, AnalysisRun.owner_id == user.id))
    return statement.where(public)


def latest_finished(session: Session, limit: int = 5) -> list[AnalysisRun]:
    return list(
        session.scalars(
            select(AnalysisRun)
            .where(AnalysisRun.status == "finished")
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
            .where(DatasetVersion.dataset_id == dataset.id, AnalysisRun.status == "finished")
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
    """A published version by dataset slug and version number, or RunError naming the field."""
    dataset = session.scalar(select(Dataset).where(Dataset.slug == str(slug)))
    if dataset is None or not data_services.can_view(user, dataset):
        raise RunError(f"No dataset {slug!r}.", field, 404)
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise RunError(f"The version of {slug!r} must be a whole number.", field) from None
    version = next((v for v in dataset.versions if v.number == number), None)
    if version is None or not (version.is_published or data_services.can_edit(user, dataset)):
        raise RunError(f"No version {number} of dataset {slug!r}.", field, 404)
    if not version.is_published:
        raise RunError(
            f"Version {number} of {slug!r} is not published; only published "
            "versions can be analysed.",
            field,
            409,
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
        raise RunError("Give the analysis a title.", "title")
    if kind not in KINDS:
        raise RunError(f"kind must be one of {', '.join(KINDS)}.", "kind")
    if not versions:
        raise RunError("Choose at least one published dataset version.", "datasets")
    if kind == "aggregate" and len(versions) != 1:
        raise RunError(
            "An aggregate meta-analysis uses exactly one dataset whose rows are studies.",
            "datasets",
        )
    if len({v.id for v in versions}) != len(versions):
        raise RunError("The same dataset version is chosen twice.", "datasets")
    for version in versions:
        if not version.is_published:
            raise RunError(
                f"Version {version.number} of {version.dataset.slug!r} is not published.",
                "datasets",
                409,
            )
    run = AnalysisRun(
        owner_id=owner.id,
        title=title[:300],
        description=description or "",
        kind=kind,
        status="draft",
    )
    run.inputs = [
        AnalysisInput(version_id=v.id, sha256=v.sha256, position=i) for i, v in enumerate(versions)
    ]
    session.add(run)
    session.flush()
    return run


def _require_draft(run: AnalysisRun) -> None:
    if not run.is_draft:
        raise RunError(
            "This run has been started and can no longer change; rerun it to make a new one.",
            None,
            409,
        )


def set_harmonisation(run: AnalysisRun, harmonisation: dict[str, Any]) -> None:
    _require_draft(run)
    run.harmonisation_json = json.dumps(harmonisation, sort_keys=True)


STAGES = ("two-stage", "one-stage")
STAGE_LABELS = {
    "two-stage": "Two-stage: estimate per study, then pool",
    "one-stage": "One-stage: one regression on all participants, study as stratum",
}
ONE_STAGE_MEASURES = ("OR", "MD", "HR")  # what the one-stage models estimate
PARTICIPANT_OPTIONS = ("stage", "covariates", "study_effect", "filters")


def _names(value: Any, field: str) -> list[str]:
    """A list of names from a list or a comma-separated string (forms send text)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise RunError(f"{field} is a list of names.", field)
    return [v.strip() for v in value if v.strip()]


def participant_options(
    run: AnalysisRun,
    measure: str,
    *,
    stage: str = "two-stage",
    covariates: Any = (),
    study_effect: str = "fixed",
    filters: Any = (),
) -> dict[str, Any]:
    """Validated participant-level options, stored in the run's spec so a rerun
    reproduces them (filters as dicts, whatever form they were typed in)."""
    stage = str(stage or "two-stage").strip().lower()
    if stage not in STAGES:
        raise RunError(f"stage must be one of {', '.join(STAGES)}.", "stage")
    covariates = _names(covariates, "covariates")
    mapped = harmonisation_covariates(run.harmonisation)
    unknown = [c for c in covariates if c not in mapped]
    if unknown:
        raise RunError(
            f"Covariate {unknown[0]!r} is not mapped; map it on the previous step "
            f"(mapped: {', '.join(mapped) or 'none'}).",
            "covariates",
        )
    if study_effect not in analysis.ipd.STUDY_EFFECTS:
        raise RunError("study_effect must be 'fixed' or 'random'.", "study_effect")
    if stage == "one-stage" and measure not in ONE_STAGE_MEASURES:
        raise RunError(
            f"A one-stage model estimates {', '.join(ONE_STAGE_MEASURES)} (odds "
            "ratio, mean difference, hazard ratio); choose one of those.",
            "measure",
        )
    if stage == "two-stage" and study_effect != "fixed":
        raise RunError(
            "A random study intercept is a one-stage option; a two-stage analysis "
            "chooses random effects with its pooling method.",
            "study_effect",
        )
    if covariates and measure not in ONE_STAGE_MEASURES:
        raise RunError(
            "Covariate adjustment estimates odds ratios, mean differences or "
            "hazard ratios; choose OR, MD or HR.",
            "measure",
        )
    if isinstance(filters, str):
        filters = filters.splitlines()
    if not isinstance(filters, (list, tuple)):
        raise RunError('filters is a list such as ["age >= 50"].', "filters")
    try:
        rules = analysis.filters.as_filters(filters)
    except analysis.AnalysisInputError as error:
        raise RunError(error.reason, "filters") from None
    return {
        "stage": stage,
        "covariates": covariates,
        "study_effect": study_effect,
        "filters": [f.to_dict() for f in rules],
    }


def filters_text(filters: Any) -> str:
    """Stored filters as the lines a user types ("age >= 50")."""
    try:
        return "\n".join(str(f) for f in analysis.filters.as_filters(filters))
    except analysis.AnalysisInputError:
        return ""


def harmonisation_covariates(h: dict[str, Any]) -> list[str]:
    """The analysis covariate names a participant harmonisation maps (in order)."""
    names = list(h.get("covariates") or [])
    for m in (h.get("datasets") or {}).values():
        for name in (m or {}).get("covariates") or {}:
            if name not in names:
                names.append(name)
    return names


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
    study_effect, filters); see :func:`participant_options`."""
    _require_draft(run)
    measure, method = (measure or "").upper(), (method or "").upper()
    if measure not in MEASURES[run.kind]:
        raise RunError(f"measure must be one of {', '.join(MEASURES[run.kind])}.", "measure")
    if method not in METHODS:
        raise RunError(f"method must be one of {', '.join(METHODS)}.", "method")
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise RunError("level must be a number such as 0.95.", "level") from None
    if 1 < level < 100:  # 95 means 95%
        level /= 100
    if not 0 < level < 1:
        raise RunError("level must be between 0 and 1 (e.g. 0.95) or a percentage.", "level")
    options: dict[str, Any] = {"hk": bool(hk), "level": level}
    if run.kind == "participant":
        options.update(participant_options(run, measure, **(participant or {})))
        if options["covariates"] and method in ("MH", "PETO"):
            raise RunError(
                "Covariate-adjusted study estimates are pooled by inverse variance "
                "(FE, DL, REML or PM), not by Mantel-Haenszel or Peto.",
                "method",
            )
    elif participant:
        raise RunError(
            "Stage, covariates and filters apply to participant-level runs only.", "options"
        )
    run.measure, run.method = measure, method
    run.options_json = json.dumps(options, sort_keys=True)


def queue(session: Session, run: AnalysisRun) -> Any:
    """Submit the run's job (it starts when the caller commits and calls runner.start)."""
    from portal.jobs import runner

    _require_draft(run)
    if not run.measure:
        raise RunError("Choose a measure and a method first.", "measure")
    job = runner.submit(session, "analysis.run", {"run_id": run.id}, owner_id=run.owner_id)
    run.status = "queued"
    run.job_id = job.id
    return job


def rerun(session: Session, run: AnalysisRun, owner: User) -> AnalysisRun:
    """A new draft with the same inputs, harmonisation, measure, method and options."""
    new = AnalysisRun(
        owner_id=owner.id,
        title=run.title,
        description=run.description,
        kind=run.kind,
        status="draft",
        measure=run.measure,
        method=run.method,
        options_json=run.options_json,
        harmonisation_json=run.harmonisation_json,
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


@dataclass
class Computed:
    pooled: analysis.MetaAnalysisResult
    effects: analysis.EffectSizes
    results: dict[str, Any]


def _check_columns(frame: pd.DataFrame, study: str, mapping: dict[str, str | None]) -> None:
    for role, column in mapping.items():
        if column and column not in frame.columns:
            raise analysis.AnalysisInputError(
                f"column {column!r} (mapped to {role!r}) does not exist; available: "
                f"{', '.join(map(str, frame.columns))}",
                study=study,
                field=role,
            )


def _effects_aggregate(app: Flask, run: AnalysisRun) -> tuple[analysis.EffectSizes, dict]:
    h = run.harmonisation
    (item,) = run.inputs
    frame = read_frame(app, item.version, item.sha256)
    roles = required_roles(run.measure)
    columns = {role: h.get("columns", {}).get(role) for role in roles}
    for role, column in columns.items():
        if not column:
            raise analysis.AnalysisInputError(
                f"no column mapped for {role!r}", study=item.version.dataset.slug, field=role
            )
    extra = {"study": h.get("study"), "year": h.get("year"), "subgroup": h.get("subgroup")}
    _check_columns(frame, item.version.dataset.slug, {**columns, **extra})
    effects = analysis.effect_sizes_from_table(frame, run.measure, columns, study=h.get("study"))
    context = {"frame": frame}
    if h.get("year"):
        context["order"] = frame[h["year"]].to_numpy()
    if h.get("subgroup"):
        context["groups"] = frame[h["subgroup"]].astype(str).to_numpy()
    return effects, context


def compute(app: Flask, run: AnalysisRun, progress=lambda fraction, message: None) -> Computed:
    """Run the analysis the run describes. Raises AnalysisInputError or ConvergenceError."""
    for item in run.inputs:
        if not item.version.is_published:
            raise analysis.AnalysisInputError(
                f"version {item.version.number} is not published",
                study=item.version.dataset.slug,
                field="version",
            )
    options = run.options
    hk, level = bool(options.get("hk", False)), float(options.get("level", 0.95))
    method = run.method
    results: dict[str, Any] = {"kind": run.kind}
    progress(0.1, "Reading the dataset versions")
    if run.kind == "aggregate":
        effects, context = _effects_aggregate(app, run)
        progress(0.4, "Pooling the studies")
        pooled = analysis.pool(effects, method, hk=hk, level=level)
    else:
        frames = {i.version.dataset.slug: read_frame(app, i.version, i.sha256) for i in run.inputs}
        progress(0.3, "Harmonising the datasets")
        slugs = [i.version.dataset.slug for i in run.inputs]
        harmonisation = analysis.Harmonisation.from_dict(run.harmonisation, frames, datasets=slugs)
        harmonised = harmonisation.apply(frames)
        harmonised = harmonised.filtered(options.get("filters") or ())
        covariates = tuple(options.get("covariates") or ())
        if options.get("stage") == "one-stage":
            progress(0.4, "Fitting the one-stage model")
            results["one_stage"] = analysis.one_stage(
                harmonised,
                covariates=covariates,
                study_effect=options.get("study_effect", "fixed"),
                level=level,
            ).to_dict()
        # the per-study estimates (forest plot, sensitivity) come from the two-stage
        # analysis, with the same covariates, for one-stage runs too
        progress(0.5, "Estimating the effect in each study, then pooling")
        display_notes = []
        try:
            two = analysis.two_stage(
                harmonised, run.measure, method, hk=hk, level=level, covariates=covariates
            )
        except analysis.AnalysisInputError as error:
            if options.get("stage") != "one-stage" or not covariates:
                raise
            # the one-stage model stands; only the per-study display loses its adjustment
            two = analysis.two_stage(harmonised, run.measure, method, hk=hk, level=level)
            display_notes.append(
                f"Per-study estimates are unadjusted: the adjusted ones "
                f"could not be computed ({error})."
            )
        effects, pooled, context = two.effects, two.pooled, {}
        results["two_stage"] = {
            "stage1": two.stage1,
            "notes": [*display_notes, *two.notes],
            "participants": int(len(harmonised.frame)),
            "adjusted_for": list(two.adjusted_for),
            "filters": list(options.get("filters") or ()),
        }
    results["pooled"] = pooled.to_dict()
    results["effect_sizes"] = effects.to_dict()
    progress(0.7, "Sensitivity analyses")
    sensitivity_method = "FE" if method in ("MH", "PETO") else method
    sensitivity_hk = hk if method not in ("MH", "PETO") else False
    try:
        results["leave_one_out"] = analysis.leave_one_out(
            effects, method, hk=hk, level=level
        ).to_dict()
    except analysis.AnalysisInputError as error:
        results["leave_one_out"] = {"unavailable": error.reason}
    if "order" in context:
        try:
            results["cumulative"] = analysis.cumulative(
                effects, context["order"], method, hk=hk, level=level
            ).to_dict()
        except analysis.AnalysisInputError as error:
            results["cumulative"] = {"unavailable": error.reason}
    if "groups" in context:
        try:
            results["subgroups"] = analysis.subgroup_analysis(
                effects, context["groups"], sensitivity_method, hk=sensitivity_hk, level=level
            ).to_dict()
        except (analysis.AnalysisInputError, TypeError) as error:
            results["subgroups"] = {"unavailable": str(getattr(error, "reason", error))}
    if pooled.k >= 3:
        try:
            results["egger"] = analysis.egger_test(effects, method, hk=hk, level=level).to_dict()
        except (analysis.AnalysisInputError, analysis.ConvergenceError) as error:
            results["egger"] = {"unavailable": getattr(error, "reason", str(error))}
    else:
        results["egger"] = {
            "unavailable": f"Egger's test needs at least 3 studies (this analysis has {pooled.k})."
        }
    results["software"] = software_versions()
    return Computed(pooled=pooled, effects=effects, results=json_safe(results))


def record_success(run: AnalysisRun, computed: Computed) -> None:
    run.results_json = json.dumps(computed.results, sort_keys=True, allow_nan=False)
    run.software_json = json.dumps(computed.results["software"], sort_keys=True)
    run.status = "finished"
    run.error, run.error_study, run.error_field = "", None, None
    run.finished_at = utcnow()


def record_failure(
    run: AnalysisRun, message: str, *, study: str | None = None, field: str | None = None
) -> None:
    run.status = "failed"
    run.error = message
    run.error_study = study[:300] if study else None
    run.error_field = field[:120] if field else None
    run.results_json = "{}"
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
            if run.status == "failed"
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
