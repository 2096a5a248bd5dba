"""Inverse-variance fixed- and random-effects models (``metafor::rma.uni``).

* ``method`` FE, DL, REML, PM: weights ``1/(vi + tau^2)``; Wald-type z tests and
  CIs, or with ``hk=True`` the Hartung-Knapp(-Sidik-Jonkman) adjustment (metafor
  ``test="knha"``): the variance is multiplied by ``sum w r^2 / (k-1)`` (not
  truncated at 1) and t(k-1) quantiles are used.
* ``test="t"`` (metafor's ``test="t"``): t(k-p) quantiles and p-values with the
  unadjusted variance.
* Prediction interval (random-effects models only, as ``predict.rma``):
  ``estimate +/- crit * sqrt(se^2 + tau^2)`` with ``crit`` the normal quantile,
  or the t(k-1) quantile under Hartung-Knapp or the t test.

The fit itself (:func:`fit_inverse_variance`) takes any design matrix, so
:mod:`analysis.pooling.regression` fits meta-regressions with it too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._distributions import norm_sf, t_isf, t_sf
from ..errors import AnalysisInputError
from ..heterogeneity import (
    HeterogeneityCI,
    Tau2Estimate,
    check_genq_weights,
    design,
    estimate_tau2,
    hartung_knapp_scale,
    heterogeneity,
    jackson_weights,
    resolve_control,
    tau2_confint,
    tau2_generalised_q,
    wls,
)
from ..results import MetaAnalysisResult
from ..validation import check_lengths, default_labels
from ..vocabulary import Method
from ._common import normalise_level, resolve_test, study_rows, z_crit

IV_METHODS = tuple(m for m in Method if m.is_inverse_variance)
METHODS = tuple(Method)


def _coefficient_tests(
    beta: np.ndarray, vb: np.ndarray, df: int | None, level: float
) -> dict[str, Any]:
    """Each coefficient's SE, test statistic, p-value and confidence interval: z tests
    without degrees of freedom, t tests with them."""
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / se
    if df is None:
        pval = 2 * norm_sf(np.abs(stat))
        crit = z_crit(level)
    else:
        pval = 2 * t_sf(np.abs(stat), df)
        crit = float(t_isf((1 - level) / 2, df))
    return {
        "beta": beta,
        "vb": vb,
        "se": se,
        "stat": stat,
        "pval": pval,
        "ci_low": beta - crit * se,
        "ci_high": beta + crit * se,
        "crit": crit,
        "df": df,
    }


def fit_inverse_variance(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    method: str,
    hk: bool,
    level: float,
    control: Mapping[str, Any] | None,
    test: str | None = None,
    weights: np.ndarray | None = None,
) -> dict[str, Any]:
    """Inverse-variance fit of ``y`` on the design ``X``: tau^2 by ``method``, weights
    ``1/(v + tau^2)``, then Wald tests (or t tests, Hartung-Knapp adjusted or not) of
    every coefficient.  ``method="GENQ"`` takes the analyst's ``weights`` instead, for
    tau^2 and for the coefficients, whose variance is then metafor's sandwich
    ``(X'AX)^-1 X'A(V + tau^2)AX (X'AX)^-1``."""
    k, p = X.shape
    method = method.upper()
    test = resolve_test(hk, test)
    hk = test == "knha"
    if method == GENQ:
        return _fit_generalised_q(y, v, X, weights, test, level)
    if method not in IV_METHODS:
        raise AnalysisInputError(
            f"unknown method {method!r}; expected one of {', '.join(METHODS)}", field="method"
        )
    if np.any(v <= 0):
        i = int(np.argmax(v <= 0))
        raise AnalysisInputError(
            f"sampling variance must be positive (got {v[i]:g})", study=f"study {i + 1}", field="vi"
        )
    needed = p if method == "FE" or (k == 1 and p == 1) else p + 1
    if k < needed:
        raise AnalysisInputError(
            f"{method} with {p} coefficient(s) needs at least {needed} studies (got {k})", field="k"
        )
    if hk and k - p < 1:
        raise AnalysisInputError(
            f"the Hartung-Knapp adjustment needs more studies than coefficients (k={k}, p={p})",
            field="hk",
        )
    if test == "t" and k - p < 1:
        raise AnalysisInputError(
            f"t tests need more studies than coefficients (k={k}, p={p})", field="test"
        )
    tau = estimate_tau2(method, y, v, X, control=control)
    w = 1.0 / (v + tau.tau2)
    beta, vb, resid = wls(y, w, X)
    notes = list(tau.notes)
    df = None
    if hk:
        scale = hartung_knapp_scale(resid, w, k - p)
        if scale == 0:
            notes.append(
                "Hartung-Knapp scale factor is 0 (identical estimates); the CI has zero "
                "width, as in metafor."
            )
        vb = vb * scale
        df = k - p
    elif test == "t":
        df = k - p
    het = heterogeneity(y, v, tau.tau2, method=method, X=X)
    return {
        **_coefficient_tests(beta, vb, df, level),
        "tau": tau,
        "het": het,
        "w": w,
        "notes": notes,
        "test": test,
    }


GENQ = "GENQ"


def _fit_generalised_q(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    weights: np.ndarray | None,
    test: str,
    level: float,
) -> dict[str, Any]:
    k, p = X.shape
    if test == "knha":
        raise AnalysisInputError(
            "the Hartung-Knapp adjustment is not available with the analyst's weights "
            "of the generalised Q estimator; use z or t tests",
            field="test",
        )
    if np.any(v <= 0):
        i = int(np.argmax(v <= 0))
        raise AnalysisInputError(
            f"sampling variance must be positive (got {v[i]:g})", study=f"study {i + 1}", field="vi"
        )
    a = jackson_weights(v) if weights is None else check_genq_weights(weights, k)
    # one study: no heterogeneity to estimate, as metafor sets tau^2 = 0 for any method
    tau = Tau2Estimate(0.0, GENQ) if k == 1 else tau2_generalised_q(y, v, a, X)
    beta, inv, _ = wls(y, a, X)
    vb = inv @ ((X.T * (a**2 * (v + tau.tau2))) @ X) @ inv
    df = k - p if test == "t" else None
    return {
        **_coefficient_tests(beta, vb, df, level),
        "tau": tau,
        "het": heterogeneity(y, v, tau.tau2, method=GENQ, X=X),
        "w": a,
        "notes": [],
        "test": test,
    }


def meta_analysis(
    yi: ArrayLike,
    vi: ArrayLike,
    *,
    method: str = "REML",
    hk: bool = False,
    level: float = 0.95,
    labels: Sequence[Any] | None = None,
    measure: str = "GEN",
    control: Mapping[str, Any] | None = None,
    study_data: Mapping[str, np.ndarray] | None = None,
    notes: Sequence[str] = (),
    test: str | None = None,
    weights: ArrayLike | None = None,
) -> MetaAnalysisResult:
    """Inverse-variance fixed- or random-effects meta-analysis (``rma.uni``).

    ``yi`` are observed outcomes (log scale for ratio measures) and ``vi``
    their sampling variances.  Studies whose ``yi`` or ``vi`` is NaN (e.g.
    dropped by ``drop00``) are reported but left out, as metafor omits NAs.
    ``control`` tunes the tau^2 iterations (see
    :data:`analysis.heterogeneity.DEFAULT_CONTROL`).  ``test`` is metafor's: ``"z"``,
    ``"t"`` or ``"knha"`` (the same as ``hk=True``).  ``weights`` (one per study) are
    those of the generalised Q estimator, ``method="GENQ"``, as metafor's ``weights``;
    without them GENQ weights each study by ``1/sqrt(vi)``, as Jackson et al. advise.
    """
    level = normalise_level(level)
    method = method.upper()
    test = resolve_test(hk, test)
    hk = test == "knha"
    raw_labels = None if labels is None else [str(x) for x in labels]
    try:
        y_all = np.asarray(yi, dtype=float).ravel()
        v_all = np.asarray(vi, dtype=float).ravel()
    except (TypeError, ValueError):
        raise AnalysisInputError(
            "yi and vi must be numeric (use NaN for omitted studies)", field="yi"
        ) from None
    check_lengths({"yi": y_all, "vi": v_all}, raw_labels)
    names = default_labels(len(y_all), raw_labels)
    included = np.isfinite(y_all) & np.isfinite(v_all)
    if not included.any():
        raise AnalysisInputError("no study has a usable estimate")
    bad = included & ~(v_all > 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise AnalysisInputError(
            f"sampling variance must be positive (got {v_all[i]:g})", study=names[i], field="vi"
        )
    y, v = y_all[included], v_all[included]
    k = len(y)
    a = None
    if method == GENQ:
        a = (
            jackson_weights(v)
            if weights is None
            else check_genq_weights(weights, len(y_all))[included]
        )
    fit = fit_inverse_variance(y, v, design(k), method, hk, level, control, test, weights=a)

    all_notes = list(notes) + fit["notes"]
    if (~included).any():
        all_notes.append(f"{int((~included).sum())} study(ies) without a usable estimate omitted.")
    if k == 1:
        all_notes.append(
            "Only one study: the pooled estimate is that study's estimate (tau^2 = 0)."
        )
    if hk and method == "FE":
        all_notes.append(
            "Hartung-Knapp adjustment applied to a fixed-effect model "
            "(metafor warns that it is not meant for FE models)."
        )

    weights = np.zeros(len(y_all))
    weights[included] = 100 * fit["w"] / fit["w"].sum()
    tau2 = fit["tau"].tau2
    estimate, se = float(fit["beta"][0]), float(fit["se"][0])
    pi_low = pi_high = None
    if method != "FE":
        pi_se = np.sqrt(se**2 + tau2)
        pi_low, pi_high = estimate - fit["crit"] * pi_se, estimate + fit["crit"] * pi_se
    het = fit["het"]
    con = resolve_control(control)
    het_ci: HeterogeneityCI | None = None
    if method == GENQ:
        all_notes.append(
            "No confidence interval for tau^2 is given with the generalised Q estimator: "
            "metafor's for it needs the distribution of a weighted sum of chi-squares, "
            "which is not computed here."
        )
    elif method != "FE" and k > 1:
        het_ci = tau2_confint(y, v, design(k), tau2=tau2, level=level, control=control)
        if het_ci is not None:  # k > 1 studies always have one
            all_notes.extend(het_ci.notes)
            all_notes.extend(_outside_interval_note(method, tau2, het_ci, level))
    return MetaAnalysisResult(
        measure=measure.upper(),
        method=method,
        test=test,
        level=level,
        k=k,
        estimate=estimate,
        se=se,
        statistic=float(fit["stat"][0]),
        pvalue=float(fit["pval"][0]),
        ci_low=float(fit["ci_low"][0]),
        ci_high=float(fit["ci_high"][0]),
        df=fit["df"],
        tau2=tau2,
        tau2_se=fit["tau"].se,
        i2=het.i2,
        h2=het.h2,
        q=het.q,
        q_df=het.q_df,
        q_pvalue=het.q_pvalue,
        pi_low=None if pi_low is None else float(pi_low),
        pi_high=None if pi_high is None else float(pi_high),
        study_table=study_rows(names, y_all, v_all, weights, included, level, study_data),
        options={
            "method": method,
            "hk": hk,
            "level": level,
            "control": con,
            **({"test": test} if test == "t" else {}),
            **({"weights": a.tolist()} if a is not None else {}),
        },
        notes=tuple(all_notes),
        heterogeneity_ci=het_ci,
        extra={
            "tau2_iterations": fit["tau"].iterations,
            "prediction_interval_distribution": None
            if method == "FE"
            else ("normal" if test == "z" else "t"),
        },
    )


def _outside_interval_note(
    method: str, tau2: float, ci: HeterogeneityCI, level: float
) -> list[str]:
    """Why tau^2 may lie outside its own interval, for readers who would take it for a bug.

    The interval is the Q-profile (metafor's ``confint()``), built on the generalised
    Q statistic; only the Paule-Mandel estimate is defined by that statistic, so a
    DerSimonian-Laird, REML, ML or other estimate can fall outside it, and metafor
    gives the same numbers.
    """
    low, high = ci.tau2_low, ci.tau2_high
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return []
    slack = 1e-10 * max(1.0, abs(tau2))
    if low - slack <= tau2 <= high + slack:
        return []
    side = "below" if tau2 < low else "above"
    return [
        f"The between-study variance tau^2 = {tau2:.4g} ({method}) lies {side} its "
        f"{level:.0%} interval ({low:.4g} to {high:.4g}). This is not an error: the "
        "interval comes from another method (the Q-profile, as metafor's confint()) than "
        f"the {method} estimate, and the two need not agree; metafor gives the same "
        "numbers. The Paule-Mandel estimate (method PM) is built on the same statistic "
        "as the interval and always lies inside it."
    ]
