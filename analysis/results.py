"""Result objects shared by pooling, sensitivity analyses, subgroups and plots.

``to_dict()`` output is a stable, JSON-serialisable schema: keys are always
present (``None`` when not applicable, e.g. the exponentiated estimate of a
risk difference or the prediction interval of a fixed-effect model) so that
stored runs and scripts consuming the CLI's ``--json`` keep working.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .heterogeneity import HeterogeneityCI
from .provenance import json_object, software_versions
from .transforms import back_transform, back_transform_name, natural_scale
from .vocabulary import RATIO_MEASURES

RESULT_SCHEMA = "analysis.meta-analysis/1"


def _exp(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return math.exp(value)


@dataclass(frozen=True)
class StudyResult:
    """One study's contribution: observed outcome, its CI and weight (percent)."""

    label: str
    yi: float | None
    vi: float | None
    ci_low: float | None
    ci_high: float | None
    weight: float
    included: bool
    data: dict[str, float] = field(default_factory=dict)

    @property
    def se(self) -> float | None:
        return None if self.vi is None else math.sqrt(self.vi)

    def to_dict(self, ratio: bool, measure: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {
            "study": self.label,
            "yi": self.yi,
            "vi": self.vi,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "yi_exp": _exp(self.yi) if ratio else None,
            "ci_low_exp": _exp(self.ci_low) if ratio else None,
            "ci_high_exp": _exp(self.ci_high) if ratio else None,
            "yi_natural": back_transform(measure, self.yi),
            "ci_low_natural": back_transform(measure, self.ci_low),
            "ci_high_natural": back_transform(measure, self.ci_high),
            "weight": self.weight,
            "included": self.included,
        }
        out.update(self.data)
        return out


@dataclass(frozen=True, eq=False)
class StudyTable:
    """Per-study columns of a result, kept as arrays (cheap for many studies)."""

    labels: tuple[str, ...]
    yi: np.ndarray
    vi: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    weight: np.ndarray
    included: np.ndarray
    data: dict[str, np.ndarray] = field(default_factory=dict)

    def rows(self) -> tuple[StudyResult, ...]:
        def opt(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        out = []
        for i, label in enumerate(self.labels):
            finite = math.isfinite(self.yi[i]) and math.isfinite(self.vi[i])
            out.append(
                StudyResult(
                    label=label,
                    yi=opt(self.yi[i]) if finite else None,
                    vi=opt(self.vi[i]) if finite else None,
                    ci_low=opt(self.ci_low[i]) if finite else None,
                    ci_high=opt(self.ci_high[i]) if finite else None,
                    weight=float(self.weight[i]),
                    included=bool(self.included[i]),
                    data={n: float(a[i]) for n, a in self.data.items()},
                )
            )
        return tuple(out)


@dataclass(frozen=True, eq=False)
class MetaAnalysisResult:
    """A pooled estimate with heterogeneity statistics (metafor ``rma`` equivalent).

    Ratio measures are on the log scale (as metafor reports them);
    ``estimate_exp`` etc. give the back-transformed values.  ``i2`` is in
    percent.  ``statistic`` is a z value, or a t value with ``df`` degrees of
    freedom under ``test`` "t" or "knha" (Hartung-Knapp).
    """

    measure: str
    method: str
    test: str
    level: float
    k: int
    estimate: float
    se: float
    statistic: float
    pvalue: float
    ci_low: float
    ci_high: float
    df: int | None
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    pi_low: float | None
    pi_high: float | None
    study_table: StudyTable
    options: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    software: dict[str, str] = field(default_factory=software_versions)
    # Q-profile intervals for tau^2, I^2, H^2 (random-effects models with k > 1)
    heterogeneity_ci: HeterogeneityCI | None = None
    #: metafor's se.tau2 (None where metafor gives NA: fixed-effect models, one study)
    tau2_se: float | None = None

    @property
    def model(self) -> str:
        if self.method in ("MH", "PETO"):
            return (
                "fixed-effect (Mantel-Haenszel)" if self.method == "MH" else "fixed-effect (Peto)"
            )
        return "fixed-effect" if self.method == "FE" else "random-effects"

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def estimate_exp(self) -> float | None:
        return _exp(self.estimate) if self.is_ratio else None

    @property
    def ci_low_exp(self) -> float | None:
        return _exp(self.ci_low) if self.is_ratio else None

    @property
    def ci_high_exp(self) -> float | None:
        return _exp(self.ci_high) if self.is_ratio else None

    @property
    def statistic_name(self) -> str:
        return "t" if self.df is not None else "z"

    def natural(self) -> dict[str, Any]:
        """The pooled estimate and its intervals on the natural scale (metafor's
        ``predict(res, transf=...)``); all None for a measure read on its own scale."""
        m = self.measure
        return {
            "back_transform": back_transform_name(m),
            "natural_scale": natural_scale(m),
            "estimate_natural": back_transform(m, self.estimate),
            "ci_low_natural": back_transform(m, self.ci_low),
            "ci_high_natural": back_transform(m, self.ci_high),
            "pi_low_natural": back_transform(m, self.pi_low),
            "pi_high_natural": back_transform(m, self.pi_high),
        }

    @cached_property
    def studies(self) -> tuple[StudyResult, ...]:
        return self.study_table.rows()

    @property
    def labels(self) -> tuple[str, ...]:
        return self.study_table.labels

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(float(w) for w in self.study_table.weight)

    def to_dict(self) -> dict[str, Any]:
        ratio = self.is_ratio
        return json_object(
            {
                "schema": RESULT_SCHEMA,
                "model": self.model,
                "measure": self.measure,
                "scale": "log" if ratio else "identity",
                "method": self.method,
                "test": self.test,
                "level": self.level,
                "k": self.k,
                "estimate": self.estimate,
                "se": self.se,
                "statistic": self.statistic,
                "statistic_name": self.statistic_name,
                "df": self.df,
                "pvalue": self.pvalue,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "estimate_exp": self.estimate_exp,
                "ci_low_exp": self.ci_low_exp,
                "ci_high_exp": self.ci_high_exp,
                "pi_low": self.pi_low,
                "pi_high": self.pi_high,
                "pi_low_exp": _exp(self.pi_low) if ratio else None,
                "pi_high_exp": _exp(self.pi_high) if ratio else None,
                **self.natural(),
                "tau2": self.tau2,
                "tau2_se": self.tau2_se,
                "tau": self.tau,
                "i2": self.i2,
                "h2": self.h2,
                "q": self.q,
                "q_df": self.q_df,
                "q_pvalue": self.q_pvalue,
                **_heterogeneity_ci_dict(self.heterogeneity_ci),
                "studies": [s.to_dict(ratio, self.measure) for s in self.studies],
                "options": self.options,
                "notes": list(self.notes),
                "extra": self.extra,
                "software": self.software,
            }
        )


@dataclass(frozen=True, eq=False)
class MetaRegressionResult:
    """Mixed-/fixed-effects meta-regression (``rma(yi, vi, mods=...)``)."""

    names: tuple[str, ...]
    coefficients: tuple[float, ...]
    se: tuple[float, ...]
    statistic: tuple[float, ...]
    pvalue: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    df: int | None
    method: str
    test: str
    level: float
    k: int
    tau2: float
    i2: float
    h2: float
    qe: float
    qe_df: int
    qe_pvalue: float
    qm: float
    qm_df: int
    qm_pvalue: float
    options: dict[str, Any] = field(default_factory=dict)
    software: dict[str, str] = field(default_factory=software_versions)
    tau2_se: float | None = None

    def coefficient(self, name: str) -> dict[str, float]:
        i = self.names.index(name)
        return {
            "estimate": self.coefficients[i],
            "se": self.se[i],
            "statistic": self.statistic[i],
            "pvalue": self.pvalue[i],
            "ci_low": self.ci_low[i],
            "ci_high": self.ci_high[i],
        }

    def to_dict(self) -> dict[str, Any]:
        return json_object(
            {
                "schema": "analysis.meta-regression/1",
                "method": self.method,
                "test": self.test,
                "level": self.level,
                "k": self.k,
                "df": self.df,
                "coefficients": [dict(name=n, **self.coefficient(n)) for n in self.names],
                "tau2": self.tau2,
                "tau2_se": self.tau2_se,
                "i2": self.i2,
                "h2": self.h2,
                "qe": self.qe,
                "qe_df": self.qe_df,
                "qe_pvalue": self.qe_pvalue,
                "qm": self.qm,
                "qm_df": self.qm_df,
                "qm_pvalue": self.qm_pvalue,
                "options": self.options,
                "software": self.software,
            }
        )


def _heterogeneity_ci_dict(ci: HeterogeneityCI | None) -> dict[str, Any]:
    names = ("tau2", "i2", "h2")
    if ci is None:
        return {f"{n}_ci_{end}": None for n in names for end in ("low", "high")}
    return {
        "tau2_ci_low": ci.tau2_low,
        "tau2_ci_high": ci.tau2_high,
        "i2_ci_low": ci.i2_low,
        "i2_ci_high": ci.i2_high,
        "h2_ci_low": ci.h2_low,
        "h2_ci_high": ci.h2_high,
        "heterogeneity_ci_method": "Q-profile",
    }
