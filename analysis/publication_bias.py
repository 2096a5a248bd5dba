"""Publication-bias tools: Egger's regression test (``metafor::regtest``), trim and
fill (``trimfill``), the rank correlation test (``ranktest``) and fail-safe N (``fsn``).

Egger's test.

Default, as metafor's ``regtest``: ``model="rma"`` with the standard error as
predictor, i.e. the meta-regression ``yi = b0 + b1 * sei`` fitted with the
same tau^2 estimator and test (z, or t under Hartung-Knapp) as the main
analysis; the test is on ``b1`` and ``b0`` is the "limit estimate" (the
effect as ``sei -> 0``).  For MH/Peto analyses, regtest uses a fixed-effect
model (their tau^2 is 0).

``model="lm"`` is the classic Egger et al. (1997) test: weighted least
squares of ``yi`` on ``sei`` with weights ``1/vi`` and a multiplicative
dispersion parameter; t test with k-2 df.  This is algebraically the test
of the intercept in the regression of ``yi/sei`` on ``1/sei``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from ._rootfind import DOUBLE_EPS
from .effect_sizes import EffectSizes
from .errors import AnalysisInputError, ConvergenceError
from .heterogeneity import estimate_tau2
from .pooling import meta_analysis, meta_regression, normalise_level
from .provenance import json_object, software_versions
from .results import MetaAnalysisResult


@dataclass(frozen=True)
class EggerResult:
    model: str
    method: str
    statistic: float
    statistic_name: str
    df: int | None
    pvalue: float
    slope: float
    slope_se: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float
    k: int
    level: float
    software: dict[str, str] = field(default_factory=software_versions)

    def to_dict(self) -> dict[str, Any]:
        return json_object(
            {
                "schema": "analysis.egger/1",
                **{
                    name: getattr(self, name)
                    for name in (
                        "model",
                        "method",
                        "statistic",
                        "statistic_name",
                        "df",
                        "pvalue",
                        "slope",
                        "slope_se",
                        "limit_estimate",
                        "limit_ci_low",
                        "limit_ci_high",
                        "k",
                        "level",
                        "software",
                    )
                },
            }
        )


def egger_test(
    effects: EffectSizes,
    method: str = "REML",
    *,
    model: str = "rma",
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    test: str | None = None,
) -> EggerResult:
    """Regression test for funnel-plot asymmetry on the studies with usable estimates."""
    level = normalise_level(level)
    keep = effects.included
    y = effects.yi[keep]
    v = effects.vi[keep]
    sei = np.sqrt(v)
    k = len(y)
    if k < 3:
        raise AnalysisInputError(f"Egger's test needs at least 3 studies (got {k})", field="k")
    if np.ptp(sei) == 0:
        raise AnalysisInputError(
            "Egger's test needs studies with different standard errors", field="vi"
        )
    method = method.upper()
    if model == "rma":
        fit_method = "FE" if method in ("MH", "PETO") else method
        fit = meta_regression(
            y,
            v,
            sei,
            names=["sei"],
            method=fit_method,
            hk=hk,
            level=level,
            control=control,
            test=test,
        )
        return EggerResult(
            model="rma",
            method=fit_method,
            statistic=fit.statistic[1],
            statistic_name="t" if fit.df is not None else "z",
            df=fit.df,
            pvalue=fit.pvalue[1],
            slope=fit.coefficients[1],
            slope_se=fit.se[1],
            limit_estimate=fit.coefficients[0],
            limit_ci_low=fit.ci_low[0],
            limit_ci_high=fit.ci_high[0],
            k=k,
            level=level,
        )
    if model == "lm":
        X = np.column_stack([np.ones(k), sei])
        w = 1 / v
        xtw = X.T * w
        inv = np.linalg.inv(xtw @ X)
        beta = inv @ (xtw @ y)
        resid = y - X @ beta
        df = k - 2
        sigma2 = float(np.dot(w, resid**2)) / df
        se = np.sqrt(np.diag(inv) * sigma2)
        t = beta / se
        crit = float(stats.t.isf((1 - level) / 2, df))
        return EggerResult(
            model="lm",
            method="WLS",
            statistic=float(t[1]),
            statistic_name="t",
            df=df,
            pvalue=float(2 * stats.t.sf(abs(t[1]), df)),
            slope=float(beta[1]),
            slope_se=float(se[1]),
            limit_estimate=float(beta[0]),
            limit_ci_low=float(beta[0] - crit * se[0]),
            limit_ci_high=float(beta[0] + crit * se[0]),
            k=k,
            level=level,
        )
    raise AnalysisInputError(f"unknown model {model!r}; expected 'rma' or 'lm'", field="model")


# ---------------------------------------------------------------------------
# trim and fill (metafor::trimfill)


@dataclass(frozen=True, eq=False)
class TrimFillResult:
    """Duval and Tweedie's trim and fill, as ``trimfill(rma(yi, vi, method=...))``.

    ``k0`` studies are estimated missing on ``side``; ``filled_yi``/``filled_vi`` are
    the mirror images added, and ``model`` is the model refitted on all ``k + k0``
    (the original model when ``k0`` is 0).  ``se_k0`` is metafor's standard error of
    the ``k0`` estimate (NaN where its variance formula turns negative, as in R);
    ``p_k0`` is the R0 test that no study is missing (None for L0).
    """

    estimator: str
    side: str
    k0: int
    se_k0: float
    p_k0: float | None
    filled_yi: tuple[float, ...]
    filled_vi: tuple[float, ...]
    model: MetaAnalysisResult
    notes: tuple[str, ...] = ()
    software: dict[str, str] = field(default_factory=software_versions)

    def to_dict(self) -> dict[str, Any]:
        m = self.model
        return json_object(
            {
                "schema": "analysis.trimfill/1",
                "estimator": self.estimator,
                "side": self.side,
                "k0": self.k0,
                "se_k0": self.se_k0,
                "p_k0": self.p_k0,
                "k": m.k,
                "method": m.method,
                "test": m.test,
                "level": m.level,
                "filled_yi": list(self.filled_yi),
                "filled_vi": list(self.filled_vi),
                "estimate": m.estimate,
                "se": m.se,
                "pvalue": m.pvalue,
                "ci_low": m.ci_low,
                "ci_high": m.ci_high,
                "estimate_exp": m.estimate_exp,
                "ci_low_exp": m.ci_low_exp,
                "ci_high_exp": m.ci_high_exp,
                "tau2": m.tau2,
                "notes": list(self.notes),
                "software": self.software,
            }
        )


TRIMFILL_ESTIMATORS = ("L0", "R0")


def _iv_method(method: str) -> str:
    # metafor's publication-bias tools take an rma.uni model; MH and Peto are fixed-effect
    method = method.upper()
    return "FE" if method in ("MH", "PETO") else method


def trim_and_fill(
    effects: EffectSizes,
    method: str = "REML",
    *,
    estimator: str = "L0",
    side: str | None = None,
    maxiter: int = 100,
    level: float = 0.95,
    test: str | None = None,
    control: Mapping[str, Any] | None = None,
) -> TrimFillResult:
    """Trim and fill with metafor's iteration (``trimfill.rma.uni``).

    ``side`` None chooses it as metafor does: the side opposite the sign of the slope
    of ``yi`` on ``sqrt(vi)`` in a meta-regression with the same tau^2 estimator.
    Each step fits the model to the ``k - k0`` studies with the smallest (on the
    chosen side) estimates, ranks the absolute deviations from its estimate (ties
    in order of appearance) and re-estimates ``k0``, until ``k0`` repeats.  ``level``
    and ``test`` apply to the filled model (metafor: ``trimfill(res, level=, test=)``;
    its default is a z test at 95%).
    """
    level = normalise_level(level)
    estimator = estimator.upper()
    if estimator not in TRIMFILL_ESTIMATORS:
        raise AnalysisInputError(
            f"unknown estimator {estimator!r}; expected L0 or R0", field="estimator"
        )
    method = _iv_method(method)
    keep = effects.included
    y, v = effects.yi[keep], effects.vi[keep]
    k = len(y)
    if k < 2:
        raise AnalysisInputError(f"trim and fill needs at least 2 studies (got {k})", field="k")
    notes: list[str] = []
    if side is None:
        side, note = _trimfill_side(y, v, method, control)
        notes.extend(note)
    elif side not in ("left", "right"):
        raise AnalysisInputError("side must be 'left' or 'right'", field="side")
    flip = side == "right"
    yy = -y if flip else y
    order = np.argsort(yy, kind="stable")
    yy, vv = yy[order], v[order]
    k0, previous, iterations = 0, -1, 0
    se_k0, beta = float("nan"), 0.0
    seen: list[int] = []
    while k0 != previous:
        previous = k0
        iterations += 1
        if iterations > maxiter:
            last = sorted(set(seen[-4:]))
            raise ConvergenceError(
                "Trim and fill did not settle: the number of missing studies keeps changing "
                f"({' and '.join(map(str, last))}) after {maxiter} steps, so it has no "
                "answer for these studies (metafor stops the same way)."
            )
        seen.append(k0)
        tau = estimate_tau2(method, yy[: k - k0], vv[: k - k0], control=control)
        w = 1.0 / (vv[: k - k0] + tau.tau2)
        beta = float(np.dot(w, yy[: k - k0]) / w.sum())
        centred = yy - beta
        signed = np.sign(centred) * stats.rankdata(np.abs(centred), method="ordinal")
        if estimator == "R0":
            below = signed[signed < 0]
            # every estimate equal (no deviation below): nothing to trim
            estimate = 0.0 if below.size == 0 else k - float(np.max(-below)) - 1
            se_k0 = float(np.sqrt(2 * max(0.0, estimate) + 2))
        else:
            sr = float(signed[signed > 0].sum())
            estimate = (4 * sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (
                k * (k + 1) * (2 * k + 1)
                + 10 * estimate**3
                + 27 * estimate**2
                + 17 * estimate
                - 18 * k * estimate**2
                - 18 * k * estimate
                + 6 * k**2 * estimate
            ) / 24
            with np.errstate(invalid="ignore"):
                se_k0 = float(4 * np.sqrt(var_sr) / (2 * k - 1))
        k0 = max(0, int(np.round(estimate)))  # R's round: halves to even, as numpy's
        se_k0 = se_k0 if np.isnan(se_k0) else max(0.0, se_k0)
    p_k0 = None
    if estimator == "R0":
        m = np.arange(-1, k0)
        p_k0 = float(1 - np.sum(0.5 ** (m + 2)))
    if k0 > 0:
        mirrored = 2 * beta - yy[k - k0 :]
        filled_yi = -mirrored if flip else mirrored
        filled_vi = vv[k - k0 :]
        model = meta_analysis(
            np.concatenate([y, filled_yi]),
            np.concatenate([v, filled_vi]),
            method=method,
            level=level,
            test=test,
            control=control,
            labels=[*np.asarray(effects.labels)[keep], *(f"Filled {i + 1}" for i in range(k0))],
            measure=effects.measure,
        )
    else:
        filled_yi = filled_vi = np.array([])
        model = meta_analysis(
            y,
            v,
            method=method,
            level=level,
            test=test,
            control=control,
            labels=list(np.asarray(effects.labels)[keep]),
            measure=effects.measure,
        )
    return TrimFillResult(
        estimator=estimator,
        side=side,
        k0=k0,
        se_k0=se_k0,
        p_k0=p_k0,
        filled_yi=tuple(map(float, filled_yi)),
        filled_vi=tuple(map(float, filled_vi)),
        model=model,
        notes=tuple(notes),
    )


def _trimfill_side(
    y: np.ndarray, v: np.ndarray, method: str, control: Mapping[str, Any] | None
) -> tuple[str, list[str]]:
    sei = np.sqrt(v)
    if len(y) < 3 or np.ptp(sei) == 0:
        # metafor stops here (the slope on sqrt(vi) cannot be estimated)
        return "left", [
            "The side could not be estimated (too few studies or equal standard errors); "
            "missing studies were sought on the left (metafor: trimfill(res, side='left'))."
        ]
    fit = meta_regression(y, v, sei, names=["sei"], method=method, control=control)
    return ("right" if fit.coefficients[1] < 0 else "left"), []


# ---------------------------------------------------------------------------
# rank correlation test (metafor::ranktest)


@dataclass(frozen=True)
class RankTestResult:
    """Begg and Mazumdar's rank correlation test: Kendall's tau between the
    standardised estimates and their variances, and its p-value (exact without ties,
    normal approximation with them, as R's ``cor.test(..., exact=TRUE)``; ``exact``
    says which)."""

    tau: float
    pvalue: float
    exact: bool
    k: int
    software: dict[str, str] = field(default_factory=software_versions)

    def to_dict(self) -> dict[str, Any]:
        return json_object(
            {
                "schema": "analysis.ranktest/1",
                "tau": self.tau,
                "pvalue": self.pvalue,
                "exact": self.exact,
                "k": self.k,
                "software": self.software,
            }
        )


#: Beyond this many studies the exact distribution of Kendall's statistic (whose cost
#: grows with the cube of k: ten seconds for 1,000 studies) gives way to the normal
#: approximation; metafor computes the exact one whatever k.
EXACT_KENDALL_MAX_K = 300


def rank_correlation_test(effects: EffectSizes) -> RankTestResult:
    """``ranktest(yi, vi)``: standardise each estimate by its deviation from the
    fixed-effect mean (``(yi - theta) / sqrt(vi - 1/sum(w))``) and correlate with ``vi``.
    The p-value is exact when there are no ties and at most
    :data:`EXACT_KENDALL_MAX_K` studies, as R's ``cor.test(exact=TRUE)``."""
    keep = effects.included
    y, v = effects.yi[keep], effects.vi[keep]
    k = len(y)
    if k < 3:
        raise AnalysisInputError(
            f"the rank correlation test needs at least 3 studies (got {k})", field="k"
        )
    w = 1 / v
    theta = float(np.dot(w, y) / w.sum())
    ystar = (y - theta) / np.sqrt(v - 1 / w.sum())
    ties = min(len(np.unique(ystar)), len(np.unique(v))) < k
    if np.ptp(ystar) == 0 or np.ptp(v) == 0:
        # R's cor() gives NA for a constant variable and cor.test then stops
        raise AnalysisInputError(
            "the rank correlation test needs studies that differ in estimate and variance",
            field="vi",
        )
    exact = not ties and k <= EXACT_KENDALL_MAX_K
    result = stats.kendalltau(ystar, v, method="exact" if exact else "asymptotic")
    return RankTestResult(
        tau=float(result.statistic), pvalue=float(result.pvalue), exact=exact, k=k
    )


# ---------------------------------------------------------------------------
# fail-safe N (metafor::fsn)

FSN_TYPES = ("Rosenthal", "Orwin", "Rosenberg")


@dataclass(frozen=True)
class FailSafeNResult:
    """How many unpublished null studies would overturn the finding (``fsn``).

    ``fsnum`` is None when it is unbounded (Orwin with a target of 0).  ``pvalue`` is
    the combined test's (Rosenthal: Stouffer's one-sided; Rosenberg: the fixed-effect
    z test) and None for Orwin; ``mean_effect`` and ``target`` are Orwin's and
    Rosenberg's average effect and Orwin's target.
    """

    type: str
    fsnum: float | None
    alpha: float
    pvalue: float | None
    mean_effect: float | None
    target: float | None
    weighted: bool
    k: int
    software: dict[str, str] = field(default_factory=software_versions)

    def to_dict(self) -> dict[str, Any]:
        return json_object(
            {
                "schema": "analysis.fsn/1",
                "type": self.type,
                "fsnum": self.fsnum,
                "alpha": self.alpha,
                "pvalue": self.pvalue,
                "mean_effect": self.mean_effect,
                "target": self.target,
                "weighted": self.weighted,
                "k": self.k,
                "software": self.software,
            }
        )


def fail_safe_n(
    effects: EffectSizes,
    type: str = "Rosenthal",
    *,
    alpha: float = 0.05,
    target: float | None = None,
    weighted: bool = False,
) -> FailSafeNResult:
    """Fail-safe N by Rosenthal's (Stouffer), Orwin's or Rosenberg's method, with
    metafor's rounding (up, unless within ``sqrt(eps)`` of a whole number)."""
    chosen = {t.lower(): t for t in FSN_TYPES}.get(str(type).lower())
    if chosen is None:
        raise AnalysisInputError(
            f"unknown fail-safe N type {type!r}; expected {', '.join(FSN_TYPES)}", field="type"
        )
    if not 0 < alpha < 1:
        raise AnalysisInputError("alpha must be between 0 and 1", field="alpha")
    keep = effects.included
    y, v = effects.yi[keep], effects.vi[keep]
    k = len(y)
    if k < 1:
        raise AnalysisInputError("fail-safe N needs at least 1 study", field="k")
    pvalue = mean_effect = None
    if chosen == "Rosenthal":
        z_avg = abs(float(np.sum(y / np.sqrt(v))) / np.sqrt(k))
        pvalue = float(stats.norm.sf(z_avg))
        fsnum = max(0.0, k * (z_avg / stats.norm.isf(alpha)) ** 2 - k)
    elif chosen == "Orwin":
        mean_effect = float(np.dot(1 / v, y) / np.sum(1 / v)) if weighted else float(np.mean(y))
        target = mean_effect / 2 if target is None else float(target)
        if target == 0:
            fsnum = float("inf")
        else:
            if np.sign(target) != np.sign(mean_effect):
                target = -target
            fsnum = max(0.0, k * (mean_effect - target) / target)
    else:
        w = 1 / v
        mean_effect = float(np.dot(w, y) / w.sum())
        z = mean_effect / np.sqrt(1 / w.sum())
        wp = (float(np.dot(w, y)) / stats.norm.isf(alpha / 2)) ** 2 - w.sum()
        pvalue = float(2 * stats.norm.sf(abs(z)))
        fsnum = max(0.0, k * wp / w.sum())
    if np.isfinite(fsnum) and abs(fsnum - round(fsnum)) >= DOUBLE_EPS**0.5:
        fsnum = float(np.ceil(fsnum))
    else:
        fsnum = float(np.round(fsnum))
    return FailSafeNResult(
        type=chosen,
        fsnum=fsnum if np.isfinite(fsnum) else None,
        alpha=alpha,
        pvalue=pvalue,
        mean_effect=mean_effect,
        target=target if chosen == "Orwin" else None,
        weighted=weighted and chosen == "Orwin",
        k=k,
    )
