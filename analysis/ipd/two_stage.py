"""Two-stage pooling: the treatment effect estimated within each study, then pooled.

Binary studies give 2x2 tables, continuous studies arm means and SDs (or, with
covariates, a logistic or linear regression per study), time-to-event studies a
Cox model; the estimates are pooled with :func:`analysis.pooling.pool`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._modelfit import fitting
from ..effect_sizes import (
    EffectSizes,
    binary_effect_sizes,
    continuous_effect_sizes,
    hazard_ratio_effect_sizes,
)
from ..errors import AnalysisInputError
from ..pooling import pool, with_options
from ..provenance import json_object
from ..results import MetaAnalysisResult
from ..vocabulary import OutcomeType
from ._design import covariate_matrix
from .harmonise import HarmonisedData, as_harmonised


def _check_measure(outcome_type: str, measure: str) -> str:
    measure = measure.upper()
    offered = OutcomeType(outcome_type).measures
    if measure not in offered:
        raise AnalysisInputError(
            f"measure {measure} does not fit a {outcome_type} outcome (use {', '.join(offered)})",
            field="measure",
        )
    return measure


@dataclass(frozen=True, eq=False)
class TwoStageResult:
    effects: EffectSizes
    pooled: MetaAnalysisResult
    adjusted_for: tuple[str, ...]
    stage1: str
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return json_object(
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
    test: str | None = None,
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
    ``filters`` select rows first; the pooled result's options record every filter
    the data passed, here or before.
    """
    h = as_harmonised(data, outcome_type, covariates).filtered(filters)
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
        pool(effects, method, hk=hk, level=level, control=control, test=test),
        ipd={
            "stage": "two-stage",
            "stage1": stage1,
            "adjusted_for": list(covs),
            "filters": [f.to_dict() for f in h.filters],
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
