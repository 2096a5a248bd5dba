"""Pooling: inverse-variance fixed/random effects, Mantel-Haenszel and Peto.

Equivalents of ``metafor::rma.uni``, ``rma.mh`` and ``rma.peto``:

* Inverse variance (``method`` FE, DL, REML, PM): weights ``1/(vi + tau^2)``;
  Wald-type z tests and CIs, or with ``hk=True`` the Hartung-Knapp(-Sidik-
  Jonkman) adjustment (metafor ``test="knha"``): the variance is multiplied
  by ``sum w r^2 / (k-1)`` (not truncated at 1) and t(k-1) quantiles are used.
* Prediction interval (random-effects models only, as ``predict.rma``):
  ``estimate +/- crit * sqrt(se^2 + tau^2)`` with ``crit`` the normal quantile,
  or the t(k-1) quantile under Hartung-Knapp.
* Mantel-Haenszel (OR, RR, RD) on the uncorrected 2x2 tables, with the
  Robins-Breslow-Greenland variance for OR, the Greenland-Robins variance
  for RR and the Sato-Greenland-Robins variance for RD (as ``rma.mh``).
* Peto's one-step odds ratio (as ``rma.peto``).

For MH and Peto the heterogeneity Q uses the per-study ``escalc`` outcomes
(continuity correction 1/2 for tables with a zero cell; tables with no events
or only events in both arms are left out of Q), exactly as metafor does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .effect_sizes import (
    BINARY_MEASURES,
    EffectSizes,
    _binary_outcomes,
    binary_effect_sizes,
    peto_log_odds_ratios,
)
from .errors import AnalysisInputError
from .heterogeneity import (
    FIXED_METHODS,
    TAU2_METHODS,
    design,
    estimate_tau2,
    hartung_knapp_scale,
    heterogeneity,
    resolve_control,
    tau2_confint,
    wls,
)
from .results import MetaAnalysisResult, MetaRegressionResult, StudyTable
from .validation import check_lengths, default_labels

IV_METHODS = FIXED_METHODS + TAU2_METHODS
METHODS = IV_METHODS + ("MH", "PETO")


def normalise_level(level: float) -> float:
    """Confidence level as a fraction; values above 1 are read as percent (like metafor)."""
    level = float(level)
    if level > 1:
        level /= 100
    if not 0 < level < 1:
        raise AnalysisInputError(
            f"confidence level must be in (0, 1) or (1, 100), got {level:g}", field="level"
        )
    return level


def _z_crit(level: float) -> float:
    return float(stats.norm.isf((1 - level) / 2))


def _study_rows(
    labels: Sequence[str],
    yi: np.ndarray,
    vi: np.ndarray,
    weights: np.ndarray,
    included: np.ndarray,
    level: float,
    data: Mapping[str, np.ndarray] | None = None,
) -> StudyTable:
    half = _z_crit(level) * np.sqrt(vi)
    return StudyTable(
        labels=tuple(map(str, labels)),
        yi=np.asarray(yi, float),
        vi=np.asarray(vi, float),
        ci_low=yi - half,
        ci_high=yi + half,
        weight=np.asarray(weights, float),
        included=np.asarray(included, bool),
        data={} if data is None else {n: np.asarray(a, float) for n, a in data.items()},
    )


# ---------------------------------------------------------------------------
# inverse-variance models


def _fit(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    method: str,
    hk: bool,
    level: float,
    control: Mapping[str, Any] | None,
) -> dict[str, Any]:
    k, p = X.shape
    method = method.upper()
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
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / se
    if df is None:
        pval = 2 * stats.norm.sf(np.abs(stat))
        crit = _z_crit(level)
    else:
        pval = 2 * stats.t.sf(np.abs(stat), df)
        crit = float(stats.t.isf((1 - level) / 2, df))
    het = heterogeneity(y, v, tau.tau2, method=method, X=X)
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
        "tau": tau,
        "het": het,
        "w": w,
        "notes": notes,
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
) -> MetaAnalysisResult:
    """Inverse-variance fixed- or random-effects meta-analysis (``rma.uni``).

    ``yi`` are observed outcomes (log scale for ratio measures) and ``vi``
    their sampling variances.  Studies whose ``yi`` or ``vi`` is NaN (e.g.
    dropped by ``drop00``) are reported but left out, as metafor omits NAs.
    ``control`` tunes the tau^2 iterations (see
    :data:`analysis.heterogeneity.DEFAULT_CONTROL`).
    """
    level = normalise_level(level)
    method = method.upper()
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
    fit = _fit(y, v, design(k), method, hk, level, control)

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
    het_ci = None
    if method != "FE" and k > 1:
        het_ci = tau2_confint(y, v, design(k), tau2=tau2, level=level, control=control)
        all_notes.extend(het_ci.notes)
    return MetaAnalysisResult(
        measure=measure.upper(),
        method=method,
        test="knha" if hk else "z",
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
        i2=het.i2,
        h2=het.h2,
        q=het.q,
        q_df=het.q_df,
        q_pvalue=het.q_pvalue,
        pi_low=None if pi_low is None else float(pi_low),
        pi_high=None if pi_high is None else float(pi_high),
        study_table=_study_rows(names, y_all, v_all, weights, included, level, study_data),
        options={"method": method, "hk": hk, "level": level, "control": con},
        notes=tuple(all_notes),
        heterogeneity_ci=het_ci,
        extra={
            "tau2_iterations": fit["tau"].iterations,
            "prediction_interval_distribution": None
            if method == "FE"
            else ("t" if hk else "normal"),
        },
    )


def meta_regression(
    yi: ArrayLike,
    vi: ArrayLike,
    mods: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    method: str = "REML",
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
) -> MetaRegressionResult:
    """Meta-regression ``yi ~ 1 + mods`` (``rma(yi, vi, mods=...)``).

    The omnibus QM test of the moderators is a chi^2 Wald test, or an F test
    on (m, k-p) degrees of freedom under Hartung-Knapp, as in metafor.
    """
    level = normalise_level(level)
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    X = design(len(y), mods)
    k, p = X.shape
    if np.linalg.matrix_rank(X) < p:
        raise AnalysisInputError(
            "moderators are collinear (model matrix not of full rank)", field="mods"
        )
    if names is None:
        names = [f"mod{j}" for j in range(1, p)]
    names = ["intercept", *names]
    fit = _fit(y, v, X, method, hk, level, control)
    b = fit["beta"][1:]
    vb = fit["vb"][1:, 1:]
    m = p - 1
    qm = float(b @ np.linalg.solve(vb, b)) if m else 0.0
    if fit["df"] is None:
        qm_p = float(stats.chi2.sf(qm, m)) if m else 1.0
    else:
        qm = qm / m if m else 0.0
        qm_p = float(stats.f.sf(qm, m, fit["df"])) if m else 1.0
    het = fit["het"]
    return MetaRegressionResult(
        names=tuple(names),
        coefficients=tuple(map(float, fit["beta"])),
        se=tuple(map(float, fit["se"])),
        statistic=tuple(map(float, fit["stat"])),
        pvalue=tuple(map(float, fit["pval"])),
        ci_low=tuple(map(float, fit["ci_low"])),
        ci_high=tuple(map(float, fit["ci_high"])),
        df=fit["df"],
        method=method.upper(),
        test="knha" if hk else "z",
        level=level,
        k=k,
        tau2=fit["tau"].tau2,
        i2=het.i2,
        h2=het.h2,
        qe=het.q,
        qe_df=het.q_df,
        qe_pvalue=het.q_pvalue,
        qm=qm,
        qm_df=m,
        qm_pvalue=qm_p,
        options={
            "method": method.upper(),
            "hk": hk,
            "level": level,
            "control": resolve_control(control),
        },
    )


# ---------------------------------------------------------------------------
# Mantel-Haenszel and Peto


def _tables(
    ai: ArrayLike, n1i: ArrayLike, ci: ArrayLike, n2i: ArrayLike, labels: Sequence[Any] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    # validation (names, negative counts, empty arms) is shared with escalc
    es = binary_effect_sizes(ai, n1i, ci, n2i, "RD", labels=labels)
    return es.counts, list(es.labels)


def _q_from_escalc(
    counts: Mapping[str, np.ndarray], measure: str, beta: float
) -> tuple[float, int]:
    """Heterogeneity Q as rma.mh: escalc outcomes (add 1/2 only0, drop00) around beta."""
    a, b, c, d = counts["ai"], counts["bi"], counts["ci"], counts["di"]
    yi, vi, _, double = _binary_outcomes(a, b, c, d, measure, add=0.5, to="only0")
    keep = ~double & np.isfinite(yi) & np.isfinite(vi)
    k_q = int(keep.sum())
    if k_q <= 1:
        return 0.0, k_q
    return max(0.0, float(np.sum((yi[keep] - beta) ** 2 / vi[keep]))), k_q


def _fixed_heterogeneity(q: float, k_q: int) -> tuple[float, float, float, int]:
    """Q p-value, I^2 and H^2 of rma.mh/rma.peto (fixed-effect definitions)."""
    if k_q <= 1:
        return 1.0, 0.0, 1.0, 0
    df = k_q - 1
    i2 = 0.0 if q <= 0 else max(0.0, 100 * (q - df) / q)
    return float(stats.chi2.sf(q, df)), i2, q / df, df


def _fixed_effect_result(
    *,
    measure: str,
    method: str,
    level: float,
    k: int,
    beta: float,
    se: float,
    z: float,
    heterogeneity: tuple[float, float, float, float, int],
    **rest: Any,
) -> MetaAnalysisResult:
    """The z-test result that rma.mh and rma.peto share: no tau^2, no prediction interval."""
    q, q_p, i2, h2, q_df = heterogeneity
    crit = _z_crit(level)
    return MetaAnalysisResult(
        measure=measure,
        method=method,
        test="z",
        level=level,
        k=k,
        estimate=beta,
        se=se,
        statistic=float(z),
        pvalue=float(2 * stats.norm.sf(abs(z))),
        ci_low=beta - crit * se,
        ci_high=beta + crit * se,
        df=None,
        tau2=0.0,
        i2=i2,
        h2=h2,
        q=q,
        q_df=q_df,
        q_pvalue=q_p,
        pi_low=None,
        pi_high=None,
        **rest,
    )


def mantel_haenszel(
    ai: ArrayLike,
    n1i: ArrayLike,
    ci: ArrayLike,
    n2i: ArrayLike,
    measure: str = "OR",
    *,
    labels: Sequence[Any] | None = None,
    level: float = 0.95,
    correct: bool = True,
) -> MetaAnalysisResult:
    """Mantel-Haenszel pooled OR, RR or RD (``rma.mh``) from uncorrected 2x2 tables.

    ``correct`` applies the continuity correction to the Cochran-Mantel-
    Haenszel test reported in ``extra`` (OR only), as metafor's ``correct``.
    """
    level = normalise_level(level)
    measure = measure.upper()
    if measure not in BINARY_MEASURES:
        raise AnalysisInputError(
            f"Mantel-Haenszel needs a binary measure ({', '.join(BINARY_MEASURES)}), "
            f"got {measure!r}",
            field="measure",
        )
    counts, names = _tables(ai, n1i, ci, n2i, labels)
    a, b, c, d = counts["ai"], counts["bi"], counts["ci"], counts["di"]
    n1, n2 = a + b, c + d
    n = n1 + n2
    extra: dict[str, Any] = {}
    if measure == "OR":
        r_i = a * d / n
        s_i = b * c / n
        r, s = r_i.sum(), s_i.sum()
        if r == 0 or s == 0:
            raise AnalysisInputError(
                "Mantel-Haenszel odds ratio is undefined: "
                + (
                    "no study has events in the treatment arm and non-events in the control arm"
                    if r == 0
                    else "no study has non-events in the treatment arm and events in the "
                    "control arm"
                ),
                field="ai" if r == 0 else "ci",
            )
        beta = float(np.log(r / s))
        p_i = (a + d) / n
        q_i = (b + c) / n
        # Robins, Breslow & Greenland (1986)
        se = float(
            np.sqrt(
                0.5
                * (
                    np.sum(p_i * r_i) / r**2
                    + np.sum(p_i * s_i + q_i * r_i) / (r * s)
                    + np.sum(q_i * s_i) / s**2
                )
            )
        )
        weights = b * c / n
        extra.update(_cmh_and_breslow_day(a, b, c, d, np.exp(beta), correct))
    elif measure == "RR":
        if a.sum() == 0 or c.sum() == 0:
            arm = "treatment" if a.sum() == 0 else "control"
            raise AnalysisInputError(
                f"Mantel-Haenszel risk ratio is undefined: no events in the {arm} arm of any study",
                field="ai" if a.sum() == 0 else "ci",
            )
        r = np.sum(a * (n2 / n))
        s = np.sum(c * (n1 / n))
        beta = float(np.log(r / s))
        se = float(np.sqrt(np.sum((n1 / n) * (n2 / n) * (a + c) - (a / n) * c) / (r * s)))
        weights = c * n1 / n
    else:
        denom = np.sum(n1 * (n2 / n))
        beta = float(np.sum(a * (n2 / n) - c * (n1 / n)) / denom)
        # Sato, Greenland & Robins (1989)
        se = float(
            np.sqrt(
                (
                    beta
                    * np.sum(
                        c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + (n1 / n) * (n2 / n) * (n2 - n1) / 2
                    )
                    + np.sum(a * (n2 - c) / n + c * (n1 - a) / n) / 2
                )
                / denom**2
            )
        )
        weights = n1 * n2 / n

    q, k_q = _q_from_escalc(counts, measure, beta)
    q_p, i2, h2, q_df = _fixed_heterogeneity(q, k_q)
    yi, vi, _, double = _binary_outcomes(a, b, c, d, measure, add=0.5, to="only0")
    yi = np.where(double, np.nan, yi)
    vi = np.where(double, np.nan, vi)
    notes = []
    if se == 0:
        notes.append(
            "No events (or only events) in any study: the standard error is 0 and no "
            "test is possible."
        )
        z = math.nan
    else:
        z = beta / se
    if double.any():
        notes.append(
            f"{int(double.sum())} table(s) with no events (or only events) in both arms "
            "contribute nothing to the estimate and are left out of Q."
        )
    total_w = weights.sum()
    return _fixed_effect_result(
        measure=measure,
        method="MH",
        level=level,
        k=len(a),
        beta=beta,
        se=se,
        z=z,
        heterogeneity=(q, q_p, i2, h2, q_df),
        study_table=_study_rows(
            names,
            yi,
            vi,
            100 * weights / total_w,
            # a zero-weight table can still add to the MH numerator; only tables
            # with no events (or only events) in both arms carry no information
            ~double,
            level,
            {"ai": a, "bi": b, "ci": c, "di": d},
        ),
        options={
            "method": "MH",
            "level": level,
            "correct": correct,
            "q_continuity_correction": {"add": 0.5, "to": "only0", "drop00": True},
        },
        notes=tuple(notes),
        extra={**extra, "k_q": k_q},
    )


def _cmh_and_breslow_day(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, psi: float, correct: bool
) -> dict[str, Any]:
    """Cochran and Cochran-Mantel-Haenszel tests of no association, and the
    Breslow-Day / Tarone tests of a common odds ratio (``rma.mh`` CO, MH, BD, TA)."""
    n1, n2 = a + b, c + d
    n = n1 + n2
    xt, yt = a + c, b + d
    cc = 0.5 if correct else 0.0
    num = (abs(np.sum(a - (n1 / n) * xt)) - cc) ** 2
    cochran = float(num / np.sum((n1 / n) * (n2 / n) * (xt * (yt / n))))
    cmh = float(num / np.sum((n1 / n) * (n2 / n) * (xt * (yt / (n - 1)))))
    if psi == 1:
        n11 = (n1 / n) * xt
    else:
        big_a = psi * (n1 + xt) + (n2 - xt)
        big_b = np.sqrt(big_a**2 - 4 * n1 * xt * psi * (psi - 1))
        n11 = (big_a - big_b) / (2 * (psi - 1))
    pos = (n11 > 0) & (xt > 0) & (yt > 0)
    k_pos = int(pos.sum())
    n11 = n11[pos]
    n12 = n1[pos] - n11
    n21 = xt[pos] - n11
    n22 = n11 - n1[pos] - xt[pos] + n[pos]
    # variance of the cell count under the common odds ratio
    var = 1 / (1 / n11 + 1 / n12 + 1 / n21 + 1 / n22)
    bd = max(0.0, float(np.sum((a[pos] - n11) ** 2 / var)))
    ta = max(0.0, bd - float(np.sum(a[pos] - n11) ** 2 / np.sum(var)))
    return {
        "cochran": cochran,
        "cochran_pvalue": float(stats.chi2.sf(cochran, 1)),
        "cmh": cmh,
        "cmh_pvalue": float(stats.chi2.sf(cmh, 1)),
        "breslow_day": bd,
        "breslow_day_pvalue": float(stats.chi2.sf(bd, k_pos - 1)) if k_pos > 1 else None,
        "tarone": ta,
        "tarone_pvalue": float(stats.chi2.sf(ta, k_pos - 1)) if k_pos > 1 else None,
    }


def peto(
    ai: ArrayLike,
    n1i: ArrayLike,
    ci: ArrayLike,
    n2i: ArrayLike,
    *,
    labels: Sequence[Any] | None = None,
    level: float = 0.95,
) -> MetaAnalysisResult:
    """Peto's one-step pooled log odds ratio (``rma.peto``)."""
    level = normalise_level(level)
    counts, names = _tables(ai, n1i, ci, n2i, labels)
    a, b, c, d = counts["ai"], counts["bi"], counts["ci"], counts["di"]
    n1, n2 = a + b, c + d
    n = n1 + n2
    xt, yt = a + c, b + d
    expected = xt * n1 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, xt * yt * (n1 / n) * (n2 / n) / (n - 1), 0.0)
    total_var = var.sum()
    if total_var == 0:
        raise AnalysisInputError(
            "one of the two outcomes never occurred in any study; Peto's method cannot be used",
            field="ai",
        )
    beta = float(np.sum(a - expected) / total_var)
    se = float(np.sqrt(1 / total_var))
    positive = var > 0
    q = max(
        0.0,
        float(
            np.sum((a - expected)[positive] ** 2 / var[positive])
            - np.sum(a - expected) ** 2 / total_var
        ),
    )
    yi, vi = peto_log_odds_ratios(a, b, c, d)
    k_q = int(np.isfinite(yi).sum())
    if int(positive.sum()) > 1:
        q_df = k_q - 1
        q_p = float(stats.chi2.sf(q, q_df))
        i2 = 0.0 if q <= 0 else max(0.0, 100 * (q - q_df) / q)
        h2 = q / q_df
    else:
        q_p, i2, h2, q_df = 1.0, 0.0, 1.0, 0
    z = beta / se
    return _fixed_effect_result(
        measure="OR",
        method="PETO",
        level=level,
        k=len(a),
        beta=beta,
        se=se,
        z=z,
        heterogeneity=(q, q_p, i2, h2, q_df),
        study_table=_study_rows(
            names,
            yi,
            vi,
            100 * var / total_var,
            positive,
            level,
            {"ai": a, "bi": b, "ci": c, "di": d},
        ),
        options={"method": "PETO", "level": level},
        extra={"k_q": k_q},
    )


# ---------------------------------------------------------------------------
# dispatcher


def pool(
    effects: EffectSizes,
    method: str = "REML",
    *,
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
) -> MetaAnalysisResult:
    """Pool an :class:`EffectSizes` with any method (FE, DL, REML, PM, MH, PETO).

    MH and PETO use the uncorrected 2x2 tables kept in ``effects.counts``.
    The result's options record the effect-size options, so the run can be
    repeated.
    """
    method = method.upper()
    if method not in METHODS:
        raise AnalysisInputError(
            f"unknown method {method!r}; expected one of {', '.join(METHODS)}", field="method"
        )
    if method in ("MH", "PETO"):
        if hk:
            raise AnalysisInputError(
                f"the Hartung-Knapp adjustment applies to inverse-variance models, not {method}",
                field="hk",
            )
        if effects.counts is None or effects.measure not in BINARY_MEASURES:
            raise AnalysisInputError(
                f"{method} needs 2x2 tables (measure OR, RR or RD), got measure {effects.measure}",
                field="method",
            )
        if method == "PETO" and effects.measure != "OR":
            raise AnalysisInputError(
                f"Peto's method estimates odds ratios; use measure OR (got {effects.measure})",
                field="measure",
            )
        c = effects.counts
        if method == "MH":
            result = mantel_haenszel(
                c["ai"],
                c["n1i"],
                c["ci"],
                c["n2i"],
                effects.measure,
                labels=effects.labels,
                level=level,
            )
        else:
            result = peto(c["ai"], c["n1i"], c["ci"], c["n2i"], labels=effects.labels, level=level)
        return _with_effect_options(result, effects)
    data = effects.counts if effects.counts is not None else effects.summaries
    if data is not None:
        data = {
            n: v
            for n, v in data.items()
            if n in ("ai", "bi", "ci", "di", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
        }
    result = meta_analysis(
        effects.yi,
        effects.vi,
        method=method,
        hk=hk,
        level=level,
        labels=effects.labels,
        measure=effects.measure,
        control=control,
        study_data=data,
        notes=effects.notes,
    )
    return _with_effect_options(result, effects)


def _with_effect_options(result: MetaAnalysisResult, effects: EffectSizes) -> MetaAnalysisResult:
    return with_options(result, effect_sizes={"measure": effects.measure, **effects.options})


def with_options(result: MetaAnalysisResult, **options: Any) -> MetaAnalysisResult:
    """A copy of ``result`` whose recorded options also contain ``options``."""
    return replace(result, options={**result.options, **options})
