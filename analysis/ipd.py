"""Participant-level (IPD) pooling: harmonisation, two-stage and one-stage models.

Datasets pooled on the portal code the same things differently (``arm`` =
"Active"/"Placebo" in one trial, 1/2 in another; events as "yes"/"no" or
1/0).  A :class:`Harmonisation` states, per dataset, which column holds
what and which values mean treatment, control and event; applying it yields
one long table with standard columns:

``dataset, study, treat (1 = treatment, 0 = control)`` and
``y`` (binary 0/1 or continuous) or ``time, event`` (time-to-event),
plus the requested covariates under their analysis names.

Two-stage pooling estimates the treatment effect within each study (2x2
table, mean difference / Hedges' g, logistic or linear regression when
adjusting for covariates, Cox model) and pools those estimates with
:func:`analysis.pooling.pool`.  One-stage pooling fits a single regression to
all participants with study as a stratum: logistic (GLM with study fixed
effects), linear (study fixed effects), or a Cox model stratified by study.

A random study intercept is offered for continuous outcomes only (REML linear
mixed model, :mod:`analysis._mixed`, checked against statsmodels ``MixedLM``): for binary
outcomes statsmodels has only a variational Bayes approximation, not the
maximum-likelihood GLMM that published numbers need, and it has no frailty
Cox model.  Covariates may be categorical (dummy-coded, first sorted level as
reference); row filters on analysis variables (:mod:`analysis.filters`) are
recorded in the results so that a rerun applies the same ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._mixed import fit_random_intercept
from ._modelfit import fitting
from .effect_sizes import (
    EffectSizes,
    binary_effect_sizes,
    continuous_effect_sizes,
    hazard_ratio_effect_sizes,
)
from .errors import AnalysisInputError
from .filters import apply_filters, as_filters
from .pooling import normalise_level, pool, with_options
from .provenance import json_safe, software_versions
from .results import MetaAnalysisResult

OUTCOME_TYPES = ("binary", "continuous", "time-to-event")
_MEASURES = {"binary": ("OR", "RR", "RD"), "continuous": ("MD", "SMD"), "time-to-event": ("HR",)}


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    return (value,)


def _show(values: Sequence[Any], limit: int = 8) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:limit])
    return shown + (", ..." if len(values) > limit else "")


@dataclass(frozen=True)
class DatasetMapping:
    """How one dataset's columns map onto the analysis variables.

    ``treatment``/``control`` (and ``event_values``/``non_event_values``) may
    be single values or lists of values.  Without ``event_values`` the event
    column must already be coded 0/1 (or False/True).  ``study`` names a
    column with the study identifier when one dataset holds several studies;
    otherwise every row belongs to the study ``study_label`` (default: the
    dataset's name).  ``covariates`` maps analysis covariate names to this
    dataset's column names.
    """

    arm: str
    treatment: Any
    control: Any
    outcome: str | None = None
    event: str | None = None
    time: str | None = None
    event_values: Any = None
    non_event_values: Any = None
    covariates: Mapping[str, str] = field(default_factory=dict)
    study: str | None = None
    study_label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["covariates"] = dict(self.covariates)
        return json_safe(out)


@dataclass(frozen=True)
class Harmonisation:
    """Per-dataset mappings onto one set of analysis variables (storable via ``to_dict``)."""

    outcome_type: str
    datasets: Mapping[str, DatasetMapping]
    covariates: tuple[str, ...] = ()
    missing: str = "error"
    categorical: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [c for c in self.categorical if c not in self.covariates]
        if unknown:
            raise AnalysisInputError(
                f"categorical variable {unknown[0]!r} is not one of the covariates",
                field=unknown[0],
            )
        if self.outcome_type not in OUTCOME_TYPES:
            raise AnalysisInputError(
                f"unknown outcome type {self.outcome_type!r}; expected one of "
                f"{', '.join(OUTCOME_TYPES)}",
                field="outcome_type",
            )
        if self.missing not in ("error", "drop"):
            raise AnalysisInputError("missing must be 'error' or 'drop'", field="missing")
        if not self.datasets:
            raise AnalysisInputError("no datasets to harmonise", field="datasets")

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome_type": self.outcome_type,
            "covariates": list(self.covariates),
            "missing": self.missing,
            "categorical": list(self.categorical),
            "datasets": {name: m.to_dict() for name, m in self.datasets.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Harmonisation:
        return cls(
            outcome_type=data["outcome_type"],
            datasets={name: DatasetMapping(**m) for name, m in data["datasets"].items()},
            covariates=tuple(data.get("covariates", ())),
            missing=data.get("missing", "error"),
            categorical=tuple(data.get("categorical", ())),
        )

    def apply(self, frames: Mapping[str, pd.DataFrame]) -> HarmonisedData:
        parts = []
        notes: list[str] = []
        for name, mapping in self.datasets.items():
            if name not in frames:
                raise AnalysisInputError("dataset was not supplied", study=name, field="dataset")
            part, part_notes = _harmonise_one(frames[name], name, mapping, self)
            parts.append(part)
            notes.extend(part_notes)
        data = pd.concat(parts, ignore_index=True)
        duplicated = data.groupby("study", sort=False)["dataset"].nunique()
        if (duplicated > 1).any():
            study = str(duplicated.index[int(np.argmax(duplicated.to_numpy() > 1))])
            raise AnalysisInputError(
                "the same study label occurs in more than one dataset", study=study, field="study"
            )
        return HarmonisedData(
            data, self.outcome_type, self.covariates, tuple(notes), self.categorical
        )


@dataclass(frozen=True, eq=False)
class HarmonisedData:
    frame: pd.DataFrame
    outcome_type: str
    covariates: tuple[str, ...]
    notes: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()

    @property
    def studies(self) -> tuple[str, ...]:
        return tuple(pd.unique(self.frame["study"]))

    def filtered(self, filters: Sequence[Any]) -> HarmonisedData:
        """The rows passing ``filters`` (see :mod:`analysis.filters`); every study must
        keep both arms, as after harmonisation."""
        rules = as_filters(filters)
        if not rules:
            return self
        frame, notes = apply_filters(self.frame, rules)
        _check_arms(frame, "after the filters")
        return HarmonisedData(
            frame, self.outcome_type, self.covariates, (*self.notes, *notes), self.categorical
        )


def _check_arms(frame: pd.DataFrame, when: str = "") -> None:
    arms = frame.groupby("study", sort=False)["treat"].agg(["min", "max"])
    bad = arms[(arms["min"] != 0) | (arms["max"] != 1)]
    if len(bad):
        which = "treatment" if bad["max"].iloc[0] != 1 else "control"
        raise AnalysisInputError(
            f"the {which} arm is empty{' ' + when if when else ''}",
            study=str(bad.index[0]),
            field="treat",
        )


def _harmonise_one(
    df: pd.DataFrame, name: str, m: DatasetMapping, h: Harmonisation
) -> tuple[pd.DataFrame, list[str]]:
    roles: dict[str, str | None] = {"arm": m.arm, "study": m.study}
    if h.outcome_type == "continuous":
        roles["outcome"] = m.outcome
    elif h.outcome_type == "binary":
        roles["event"] = m.event if m.event is not None else m.outcome
    else:
        roles["time"] = m.time
        roles["event"] = m.event
    for cov in h.covariates:
        if cov not in m.covariates:
            raise AnalysisInputError(
                f"no column mapped for covariate {cov!r}", study=name, field=cov
            )
        roles[cov] = m.covariates[cov]
    for role, column in roles.items():
        if role == "study" and column is None:
            continue
        if column is None:
            raise AnalysisInputError(f"no column mapped for {role!r}", study=name, field=role)
        if column not in df.columns:
            raise AnalysisInputError(
                f"column {column!r} (mapped to {role!r}) does not exist; available: "
                f"{_show([str(c) for c in df.columns], 20)}",
                study=name,
                field=role,
            )

    notes = []
    if m.study is not None:
        unlabelled = df[m.study].isna().to_numpy()
        if unlabelled.any():
            # a missing study label is not a study called "nan"
            if h.missing == "error":
                raise AnalysisInputError(
                    f"missing study label in row {int(np.argmax(unlabelled)) + 1} of dataset "
                    f"{name!r}",
                    study=name,
                    field="study",
                )
            notes.append(f"{name}: {int(unlabelled.sum())} row(s) without a study label excluded.")
            df = df[~unlabelled].reset_index(drop=True)
        study = df[m.study].astype(str).to_numpy()
    else:
        study = np.full(len(df), m.study_label or name, dtype=object)

    arm = df[m.arm]
    treat_values, control_values = _as_tuple(m.treatment), _as_tuple(m.control)
    overlap = set(treat_values) & set(control_values)
    if overlap:
        raise AnalysisInputError(
            f"value(s) {_show(sorted(map(str, overlap)))} mapped to both arms",
            study=name,
            field="arm",
        )
    is_treat = arm.isin(treat_values).to_numpy()
    is_control = arm.isin(control_values).to_numpy()
    present = list(pd.unique(arm.dropna()))
    for label in pd.unique(study):
        rows = study == label
        for flag, values, which in (
            (is_treat, treat_values, "treatment"),
            (is_control, control_values, "control"),
        ):
            if not (flag & rows).any():
                raise AnalysisInputError(
                    f"the {which} arm is empty: no row has {m.arm!r} equal to "
                    f"{_show(values)} (values present: {_show(present)})",
                    study=str(label),
                    field="arm",
                )
    other = ~(is_treat | is_control)
    if other.any():
        notes.append(
            f"{name}: {int(other.sum())} row(s) in neither arm (other {m.arm!r} values) excluded."
        )

    out = pd.DataFrame({"dataset": name, "study": study, "treat": is_treat.astype(float)})
    if h.outcome_type == "continuous":
        out["y"] = _numeric(df[m.outcome], study, "outcome", m.outcome)
    elif h.outcome_type == "binary":
        column = roles["event"]
        out["y"] = _event_indicator(df[column], study, column, m)
    else:
        out["time"] = _numeric(df[m.time], study, "time", m.time)
        out["event"] = _event_indicator(df[m.event], study, m.event, m)
    for cov in h.covariates:
        column = df[m.covariates[cov]]
        if cov in h.categorical:
            # categories compare as text, so 1 and "1" from two datasets are one level
            out[cov] = column.map(lambda v: v if pd.isna(v) else str(v)).to_numpy(dtype=object)
        else:
            out[cov] = _numeric(column, study, cov, m.covariates[cov])
    out = out[~other].reset_index(drop=True)
    study_kept = study[~other]

    value_columns = [c for c in out.columns if c not in ("dataset", "study", "treat")]
    missing = out[value_columns].isna().to_numpy()
    if missing.any():
        if h.missing == "error":
            row, col = np.argwhere(missing)[0]
            raise AnalysisInputError(
                f"missing value in row {int(np.flatnonzero(~other)[row]) + 1} of dataset {name!r}",
                study=str(study_kept[row]),
                field=value_columns[col],
            )
        drop = missing.any(axis=1)
        notes.append(f"{name}: {int(drop.sum())} row(s) with missing values excluded.")
        out = out[~drop].reset_index(drop=True)
    if h.outcome_type == "time-to-event":
        negative = out["time"] < 0
        if negative.any():
            i = int(np.argmax(negative.to_numpy()))
            raise AnalysisInputError(
                "follow-up time is negative", study=str(out["study"][i]), field="time"
            )
    return out, notes


def _numeric(series: pd.Series, study: np.ndarray, role: str, column: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise AnalysisInputError(
            f"non-numeric value {series.iloc[i]!r} in column {column!r} (row {i + 1})",
            study=str(study[i]),
            field=role,
        )
    return values.to_numpy(dtype=float, na_value=np.nan)


def _event_indicator(
    series: pd.Series, study: np.ndarray, column: str, m: DatasetMapping
) -> np.ndarray:
    out = np.full(len(series), np.nan)
    notna = series.notna().to_numpy()
    if m.event_values is not None:
        events = series.isin(_as_tuple(m.event_values)).to_numpy()
        if m.non_event_values is not None:
            non_events = series.isin(_as_tuple(m.non_event_values)).to_numpy()
        else:
            non_events = notna & ~events
        unknown = notna & ~events & ~non_events
        if unknown.any():
            i = int(np.argmax(unknown))
            raise AnalysisInputError(
                f"value {series.iloc[i]!r} in column {column!r} (row {i + 1}) is neither an event "
                f"value {_show(_as_tuple(m.event_values))} nor a non-event value",
                study=str(study[i]),
                field="event",
            )
        out[events] = 1.0
        out[non_events] = 0.0
        return out
    if pd.api.types.is_bool_dtype(series.dtype):
        numeric = series.astype(float)
    elif pd.api.types.is_numeric_dtype(series.dtype):
        numeric = series
    else:  # object columns may mix True/False with numbers or text
        numeric = pd.to_numeric(
            series.map(lambda v: float(v) if isinstance(v, (bool, np.bool_)) else v),
            errors="coerce",
        )
    bad = notna & ~numeric.isin([0, 1]).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise AnalysisInputError(
            f"event column {column!r} must be coded 0/1 unless event_values are given; found "
            f"{series.iloc[i]!r} (row {i + 1})",
            study=str(study[i]),
            field="event",
        )
    out[notna] = numeric.to_numpy(dtype=float)[notna]
    return out


def _as_harmonised(
    data: HarmonisedData | pd.DataFrame, outcome_type: str | None, covariates: Sequence[str]
) -> HarmonisedData:
    if isinstance(data, HarmonisedData):
        return data
    if outcome_type is None:
        raise AnalysisInputError(
            "outcome_type is needed for a plain data frame", field="outcome_type"
        )
    if outcome_type not in OUTCOME_TYPES:
        raise AnalysisInputError(f"unknown outcome type {outcome_type!r}", field="outcome_type")
    values = ["time", "event"] if outcome_type == "time-to-event" else ["y"]
    for column in ["study", "treat", *values, *covariates]:
        if column not in data.columns:
            raise AnalysisInputError(
                f"harmonised data need a {column!r} column (see Harmonisation)", field=column
            )
    coded = data["treat"].isin([0, 1])
    arms = data.groupby("study", sort=False)["treat"].agg(["min", "max"])
    bad_study = data.loc[~coded, "study"]
    bad = arms[(arms["min"] != 0) | (arms["max"] != 1)].index.tolist() + bad_study.tolist()
    if bad:
        raise AnalysisInputError(
            "treat must be coded 1 (treatment) / 0 (control) with both arms present",
            study=str(bad[0]),
            field="treat",
        )
    return HarmonisedData(data, outcome_type, tuple(covariates))


def _check_measure(outcome_type: str, measure: str) -> str:
    measure = measure.upper()
    if measure not in _MEASURES[outcome_type]:
        raise AnalysisInputError(
            f"measure {measure} does not fit a {outcome_type} outcome (use "
            f"{', '.join(_MEASURES[outcome_type])})",
            field="measure",
        )
    return measure


# ---------------------------------------------------------------------------
# two-stage


@dataclass(frozen=True, eq=False)
class TwoStageResult:
    effects: EffectSizes
    pooled: MetaAnalysisResult
    adjusted_for: tuple[str, ...]
    stage1: str
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "schema": "analysis.ipd-two-stage/1",
                "stage1": self.stage1,
                "adjusted_for": list(self.adjusted_for),
                "notes": list(self.notes),
                "effect_sizes": self.effects.to_dict(),
                "pooled": self.pooled.to_dict(),
            }
        )


def two_stage(
    data: HarmonisedData | pd.DataFrame,
    measure: str,
    method: str = "REML",
    *,
    outcome_type: str | None = None,
    covariates: Sequence[str] = (),
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    ties: str = "efron",
    filters: Sequence[Any] = (),
) -> TwoStageResult:
    """Estimate the treatment effect per study, then pool the estimates.

    Without covariates, binary studies give 2x2 tables (so MH and Peto are
    available too) and continuous studies give arm means/SDs (MD or SMD).
    With covariates, study estimates come from a logistic (log OR) or linear
    (adjusted MD) regression per study.  Time-to-event always uses a Cox model.
    """
    h = _as_harmonised(data, outcome_type, covariates).filtered(filters)
    measure = _check_measure(h.outcome_type, measure)
    covs = tuple(covariates)
    frame = h.frame
    for cov in covs:
        if cov not in frame.columns:
            raise AnalysisInputError(f"covariate {cov!r} is not in the harmonised data", field=cov)
    if h.outcome_type == "time-to-event":
        effects = hazard_ratio_effect_sizes(
            frame,
            study="study",
            time="time",
            event="event",
            treatment="treat",
            covariates=covs,
            ties=ties,
        )
        stage1 = f"Cox proportional hazards per study ({ties} ties)"
    elif covs:
        effects = _adjusted_effects(frame, h.outcome_type, measure, covs, h.categorical)
        stage1 = (
            "logistic regression per study"
            if h.outcome_type == "binary"
            else "linear regression per study"
        )
    elif h.outcome_type == "binary":
        grouped = frame.groupby(["study", "treat"], sort=False)["y"].agg(["sum", "count"])
        studies = list(pd.unique(frame["study"]))
        tab = grouped.unstack("treat").reindex(studies)
        effects = binary_effect_sizes(
            tab[("sum", 1.0)],
            tab[("count", 1.0)],
            tab[("sum", 0.0)],
            tab[("count", 0.0)],
            measure,
            labels=studies,
        )
        stage1 = "2x2 table per study"
    else:
        grouped = frame.groupby(["study", "treat"], sort=False)["y"].agg(["mean", "std", "count"])
        studies = list(pd.unique(frame["study"]))
        tab = grouped.unstack("treat").reindex(studies)
        effects = continuous_effect_sizes(
            tab[("mean", 1.0)],
            tab[("std", 1.0)].fillna(0.0),
            tab[("count", 1.0)],
            tab[("mean", 0.0)],
            tab[("std", 0.0)].fillna(0.0),
            tab[("count", 0.0)],
            measure,
            labels=studies,
        )
        stage1 = "arm means and SDs per study"
    pooled = with_options(
        pool(effects, method, hk=hk, level=level, control=control),
        ipd={
            "stage": "two-stage",
            "stage1": stage1,
            "adjusted_for": list(covs),
            "filters": [f.to_dict() for f in as_filters(filters)],
        },
    )
    return TwoStageResult(effects, pooled, covs, stage1, h.notes)


def _adjusted_effects(
    frame: pd.DataFrame,
    outcome_type: str,
    measure: str,
    covs: Sequence[str],
    categorical: Sequence[str] = (),
) -> EffectSizes:
    import statsmodels.api as sm

    if outcome_type == "binary" and measure != "OR":
        raise AnalysisInputError(
            "covariate adjustment of a binary outcome estimates odds ratios; use measure OR",
            field="measure",
        )
    if outcome_type == "continuous" and measure != "MD":
        raise AnalysisInputError(
            "covariate adjustment of a continuous outcome estimates mean "
            "differences; use measure MD",
            field="measure",
        )
    labels, yi, vi = [], [], []
    for label, part in frame.groupby("study", sort=False):
        try:
            covx, _ = covariate_matrix(part, covs, categorical)
        except AnalysisInputError as error:
            raise AnalysisInputError(error.reason, study=str(label), field=error.field) from None
        X = np.column_stack([np.ones(len(part)), part["treat"].to_numpy(), covx])
        y = part["y"].to_numpy(float)
        what = "logistic regression" if outcome_type == "binary" else "linear regression"
        with fitting(str(label), what, "y"):
            if outcome_type == "binary":
                fit = sm.GLM(y, X, family=sm.families.Binomial()).fit()
            else:
                fit = sm.OLS(y, X).fit()
            beta, var = float(fit.params[1]), float(fit.cov_params()[1, 1])
        if not (math.isfinite(beta) and math.isfinite(var) and var > 0):
            raise AnalysisInputError(
                f"{what} gave no finite treatment effect", study=str(label), field="y"
            )
        labels.append(str(label))
        yi.append(beta)
        vi.append(var)
    return EffectSizes(
        measure=measure,
        yi=np.array(yi),
        vi=np.array(vi),
        labels=tuple(labels),
        corrected=np.zeros(len(labels), dtype=bool),
        options={"adjusted_for": list(covs)},
    )


# ---------------------------------------------------------------------------
# one-stage


def covariate_matrix(
    frame: pd.DataFrame, covariates: Sequence[str], categorical: Sequence[str] = ()
) -> tuple[np.ndarray, list[str]]:
    """Covariates as model columns: numbers as they are, categories as 0/1 dummies.

    A covariate is categorical when listed in ``categorical`` or when its values
    are not numbers.  The reference level is the first in sorted order, as R's
    ``factor`` chooses it, so results match ``glm(y ~ ... + factor(x))``.
    """
    columns, names = [], []
    for cov in covariates:
        series = frame[cov]
        if cov in categorical or not pd.api.types.is_numeric_dtype(series.dtype):
            text = series.astype(str)
            levels = sorted(pd.unique(text))
            if len(levels) < 2:
                raise AnalysisInputError(
                    f"covariate {cov!r} has a single level ({levels[0]!r}) and cannot be "
                    "adjusted for",
                    field=cov,
                )
            for level in levels[1:]:
                columns.append((text == level).to_numpy(float))
                names.append(f"{cov}[{level}]")
        else:
            columns.append(series.to_numpy(float))
            names.append(cov)
    matrix = np.column_stack(columns) if columns else np.empty((len(frame), 0))
    return matrix, names


def _first_dependent_column(X: np.ndarray, names: Sequence[str]) -> str | None:
    """The first column that is a linear combination of those before it, or None.

    Columns are scaled first so that a covariate in large units (days, grams)
    is not mistaken for a dependent one.
    """
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    if np.linalg.matrix_rank(Xs) == X.shape[1]:
        return None
    for j in range(1, X.shape[1] + 1):
        if np.linalg.matrix_rank(Xs[:, :j]) < j:
            return names[j - 1]
    return None  # pragma: no cover - the full rank check above said otherwise


@dataclass(frozen=True, eq=False)
class OneStageResult:
    measure: str
    model: str
    estimate: float
    se: float
    statistic: float
    pvalue: float
    ci_low: float
    ci_high: float
    level: float
    n: int
    n_studies: int
    adjusted_for: tuple[str, ...]
    df: float | None = None
    events: int | None = None
    study_effect: str = "fixed"
    tau2: float | None = None
    coefficients: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    software: dict[str, str] = field(default_factory=software_versions)

    @property
    def is_ratio(self) -> bool:
        return self.measure in ("OR", "HR")

    def to_dict(self) -> dict[str, Any]:
        ratio = self.is_ratio
        return json_safe(
            {
                "schema": "analysis.ipd-one-stage/1",
                "measure": self.measure,
                "scale": "log" if ratio else "identity",
                "model": self.model,
                "study_effect": self.study_effect,
                "estimate": self.estimate,
                "se": self.se,
                "statistic": self.statistic,
                "pvalue": self.pvalue,
                "df": self.df,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "estimate_exp": math.exp(self.estimate) if ratio else None,
                "ci_low_exp": math.exp(self.ci_low) if ratio else None,
                "ci_high_exp": math.exp(self.ci_high) if ratio else None,
                "level": self.level,
                "n": self.n,
                "events": self.events,
                "n_studies": self.n_studies,
                "tau2": self.tau2,
                "adjusted_for": list(self.adjusted_for),
                "coefficients": self.coefficients,
                "options": self.options,
                "notes": list(self.notes),
                "software": self.software,
            }
        )


STUDY_EFFECTS = ("fixed", "random")


def _check_events(frame: pd.DataFrame, outcome_type: str) -> int | None:
    """Events in all; a model with no events (or no events in one arm anywhere) has no
    finite treatment effect, which statsmodels would only hint at with a warning."""
    if outcome_type == "continuous":
        return None
    column = "y" if outcome_type == "binary" else "event"
    events = frame[column].to_numpy(float)
    treat = frame["treat"].to_numpy(float) == 1
    total = int(events.sum())
    if total == 0:
        raise AnalysisInputError("no participant had the event in any study", field=column)
    if outcome_type == "binary" and total == len(events):
        raise AnalysisInputError("every participant had the event in every study", field=column)
    for flag, arm in ((treat, "treatment"), (~treat, "control")):
        if events[flag].sum() == 0:
            raise AnalysisInputError(
                f"no events in the {arm} arm of any study: the treatment effect is not estimable",
                field=column,
            )
        if outcome_type == "binary" and events[flag].sum() == flag.sum():
            raise AnalysisInputError(
                f"every participant in the {arm} arm had the event: the odds ratio is not "
                "estimable",
                field=column,
            )
    return total


def one_stage(
    data: HarmonisedData | pd.DataFrame,
    *,
    outcome_type: str | None = None,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] | None = None,
    study_effect: str = "fixed",
    filters: Sequence[Any] = (),
    level: float = 0.95,
    ties: str = "efron",
) -> OneStageResult:
    """One regression on all participants, with study as a stratum.

    * binary: logistic regression with study fixed effects -> log OR
    * continuous: linear regression with study fixed effects (t test on the
      residual df, as R's ``lm``) -> MD; or, with ``study_effect="random"``,
      a linear mixed model with a random study intercept fitted by REML
      (as ``lme4::lmer(y ~ treat + (1 | study))``; see :mod:`analysis._mixed`),
      Wald z test on the treatment coefficient
    * time-to-event: Cox model stratified by study -> log HR

    Logistic and Cox models use Wald z tests, as R's ``glm`` and ``coxph``.
    A random intercept is not offered for binary outcomes: statsmodels has
    only a variational Bayes approximation (``BinomialBayesMixedGLM``), whose
    numbers do not match a maximum-likelihood GLMM (``lme4::glmer``) closely
    enough to publish; nor for time-to-event (no frailty models in
    statsmodels).  Stratification (fixed study effects) is the usual choice
    for those outcomes anyway.

    Covariates are numeric or categorical (dummy-coded, first level as the
    reference).  ``filters`` (see :mod:`analysis.filters`) select rows first.
    """
    import statsmodels.api as sm
    from statsmodels.duration.hazard_regression import PHReg

    h = _as_harmonised(data, outcome_type, covariates)
    h = h.filtered(filters)
    level = normalise_level(level)
    if study_effect not in STUDY_EFFECTS:
        raise AnalysisInputError(
            f"study_effect must be 'fixed' or 'random', not {study_effect!r}", field="study_effect"
        )
    if study_effect == "random" and h.outcome_type != "continuous":
        raise AnalysisInputError(
            "a random study intercept is available for continuous outcomes only; binary and "
            "time-to-event outcomes are stratified by study (study_effect='fixed')",
            field="study_effect",
        )
    covs = tuple(covariates)
    frame = h.frame
    for cov in covs:
        if cov not in frame.columns:
            raise AnalysisInputError(f"covariate {cov!r} is not in the harmonised data", field=cov)
    cats = tuple(h.categorical if categorical is None else categorical)
    studies = list(pd.unique(frame["study"]))
    codes = pd.Categorical(frame["study"], categories=studies).codes
    covx, cov_names = covariate_matrix(frame, covs, cats)
    treat = frame["treat"].to_numpy(float)
    if np.all(treat == treat[0]):
        raise AnalysisInputError("only one arm is present in the data", field="treat")
    events = _check_events(frame, h.outcome_type)
    dummies = np.zeros((len(frame), len(studies)))
    dummies[np.arange(len(frame)), codes] = 1.0
    study_names = [f"study[{s}]" for s in studies]
    # the identifiability check always includes the study columns: a covariate constant
    # within every study is as unestimable in a stratified Cox model as in a GLM
    check = np.column_stack([dummies, treat, covx])
    dependent = _first_dependent_column(check, [*study_names, "treat", *cov_names])
    if dependent is not None:
        which = dependent.split("[")[0]
        raise AnalysisInputError(
            f"{dependent!r} is collinear with the study indicators, the treatment and the "
            "covariates before it (e.g. constant within every study, or a copy of another "
            "covariate); drop it from the covariates",
            field=which,
        )
    options: dict[str, Any] = {
        "study_effect": study_effect,
        "level": level,
        "covariates": list(covs),
        "categorical": [c for c in cats if c in covs],
        "filters": [f.to_dict() for f in as_filters(filters)],
    }
    df = None
    tau2 = None
    names = ["treat", *cov_names]
    notes = list(h.notes)
    if h.outcome_type == "time-to-event":
        exog = np.column_stack([treat, covx])
        with fitting(None, "stratified Cox model", "time"):
            fit = PHReg(
                frame["time"].to_numpy(float),
                exog,
                status=frame["event"].to_numpy(float),
                strata=codes,
                ties=ties,
            ).fit()
            params, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
        measure, model = "HR", f"Cox proportional hazards stratified by study ({ties} ties)"
        options["ties"] = ties
    elif study_effect == "random":
        y = frame["y"].to_numpy(float)
        exog = np.column_stack([np.ones(len(frame)), treat, covx])
        with fitting(None, "linear mixed model", "y"):
            fit = fit_random_intercept(exog, y, codes.astype(np.intp))
        params, cov, tau2 = fit.params[1:], fit.cov[1:, 1:], fit.tau2
        measure, model = "MD", "linear mixed model with a random study intercept (REML)"
    else:
        y = frame["y"].to_numpy(float)
        exog = np.column_stack([treat, covx, dummies])
        if h.outcome_type == "binary":
            with fitting(None, "logistic regression", "y"):
                fit = sm.GLM(y, exog, family=sm.families.Binomial()).fit()
                params, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
            measure, model = "OR", "logistic regression with study fixed effects"
            notes.extend(_separation_notes(np.sqrt(np.diag(cov)), [*names, *study_names]))
        else:
            with fitting(None, "linear regression", "y"):
                fit = sm.OLS(y, exog).fit()
                params, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
            df = float(fit.df_resid)
            measure, model = "MD", "linear regression with study fixed effects"
    beta, se = float(params[0]), float(np.sqrt(cov[0, 0]))
    if not (math.isfinite(beta) and math.isfinite(se) and se > 0):
        raise AnalysisInputError(f"the {model} gave no finite treatment effect", field="treat")
    if covs:
        model += f", adjusted for {', '.join(covs)}"
    z = beta / se
    dist = stats.norm if df is None else stats.t(df)
    crit = float(dist.isf((1 - level) / 2))
    return OneStageResult(
        measure=measure,
        model=model,
        estimate=beta,
        se=se,
        statistic=z,
        pvalue=float(2 * dist.sf(abs(z))),
        ci_low=beta - crit * se,
        ci_high=beta + crit * se,
        level=level,
        n=len(frame),
        n_studies=len(studies),
        adjusted_for=covs,
        df=df,
        events=events,
        study_effect=study_effect,
        tau2=tau2,
        coefficients={name: float(p) for name, p in zip(names, params[: len(names)], strict=True)},
        options=options,
        notes=tuple(notes),
    )


# A logit coefficient whose standard error is this large was pushed to infinity by
# (quasi-)complete separation: R's glm says "fitted probabilities numerically 0 or 1".
_SEPARATED_SE = 1e3


def _separation_notes(se: np.ndarray, names: Sequence[str]) -> list[str]:
    if se[0] > _SEPARATED_SE:
        raise AnalysisInputError(
            "the treatment effect is not estimable: the outcome is completely separated by "
            "arm (no events, or only events, in one arm of the studies that count)",
            field="y",
        )
    separated = [name for name, s in zip(names[1:], se[1:], strict=True) if s > _SEPARATED_SE]
    if not separated:
        return []
    return [
        f"not estimable (all or none of the participants had the event): "
        f"{', '.join(separated)}; those participants carry no information about the "
        "treatment effect, which is estimated from the others."
    ]
