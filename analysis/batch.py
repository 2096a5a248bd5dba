"""Many inverse-variance fits of subsets of the same studies, computed as one batch.

Leave-one-out, cumulative and resampling analyses re-fit one model on many
subsets of one set of studies. Fitting them one by one costs a fixed overhead
per fit (about half a millisecond of scipy calls) times thousands of fits; here
every subset is a row of a 0/1 mask and each step of the computation runs on
all rows at once.

The batch follows :mod:`analysis.heterogeneity` and :mod:`analysis.pooling.uni`
step for step (the same Hedges start, Fisher-scoring steps, step halving,
stopping rule and likelihood check at tau^2 = 0 for REML, ML and EB; the
closed forms of DL, HE, SJ, HS and HSK), so each row equals what
:func:`analysis.pooling.pool` gives for that subset, to rounding. Rows the
batch does not cover are marked so the caller can fit them one by one:
Paule-Mandel, subsets of fewer than three studies, a Fisher-scoring iteration
that did not converge (the single fit retries with smaller steps), and
non-positive variances (the single fit reports the study).

Masks come in blocks of rows so that memory stays at ``ROW_BUDGET`` cells
whatever the number of subsets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ._distributions import chi2_sf, norm_sf, t_isf, t_sf
from ._rootfind import DOUBLE_EPS
from .heterogeneity import resolve_control
from .pooling._common import normalise_level, resolve_test, z_crit

#: Methods whose tau^2 the batch computes; the others (PM's root search) are fitted
#: one by one.
BATCH_METHODS = ("FE", "DL", "REML", "ML", "EB", "HE", "SJ", "HS", "HSK")

#: Cells (subsets x studies) held in memory at a time.
ROW_BUDGET = 2_000_000

#: Fewer studies than this in a subset: fitted one by one (the edge cases live there).
MIN_BATCH_K = 3

COLUMNS = (
    "k",
    "estimate",
    "se",
    "statistic",
    "pvalue",
    "ci_low",
    "ci_high",
    "df",
    "q",
    "q_pvalue",
    "tau2",
    "i2",
    "h2",
)

MaskRows = Callable[[int, int], np.ndarray]


def fit_subsets(
    yi: np.ndarray,
    vi: np.ndarray,
    masks: MaskRows,
    n_subsets: int,
    method: str,
    *,
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    test: str | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Fit ``method`` on each subset; ``masks(lo, hi)`` gives rows ``lo..hi-1`` as booleans.

    Returns the columns (one value per subset, ``df`` NaN for z tests) and a
    boolean array of the subsets that were fitted; the others hold NaN.
    """
    method = method.upper()
    level = normalise_level(level)
    con = resolve_control(control)
    test = resolve_test(hk, test)
    y_all = np.asarray(yi, dtype=float)
    v_all = np.asarray(vi, dtype=float)
    usable = np.isfinite(y_all) & np.isfinite(v_all)
    # Masked-out cells must not turn sums into NaN: give them harmless values.
    y = np.where(usable, y_all, 0.0)
    v = np.where(usable & (v_all > 0), v_all, 1.0)
    bad_variance = usable & ~(v_all > 0)
    out = {name: np.full(n_subsets, np.nan) for name in COLUMNS}
    fitted = np.zeros(n_subsets, dtype=bool)
    if method not in BATCH_METHODS or n_subsets == 0:
        return out, fitted
    block = max(1, ROW_BUDGET // max(1, len(y)))
    for lo in range(0, n_subsets, block):
        hi = min(n_subsets, lo + block)
        m = np.asarray(masks(lo, hi), dtype=bool) & usable
        keep = (m.sum(axis=1) >= MIN_BATCH_K) & ~(m & bad_variance).any(axis=1)
        rows = np.flatnonzero(keep)
        if rows.size == 0:
            continue
        part, converged = _fit_block(y, v, m[rows].astype(float), method, test, level, con)
        done = rows[converged]
        for name in COLUMNS:
            out[name][lo + done] = part[name][converged]
        fitted[lo + done] = True
    return out, fitted


def _fit_block(
    y: np.ndarray,
    v: np.ndarray,
    m: np.ndarray,
    method: str,
    test: str,
    level: float,
    con: Mapping[str, Any],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    k = m.sum(axis=1)
    df = k - 1
    # metafor mean-centres y for the tau^2 computations (see heterogeneity._wls._centered)
    ymc = m * (y - (m @ y / k)[:, None])
    converged = np.ones(len(m), dtype=bool)
    if method == "FE":
        tau2 = np.zeros(len(m))
    elif method == "DL":
        tau2 = _dersimonian_laird(ymc, v, m, df)
    elif method in ("HE", "SJ", "HS", "HSK"):
        tau2 = _moment_estimate(method, ymc, v, m, k)
    else:
        tau2, converged = _fisher(method, ymc, v, m, k, con)
    w = m / (v + tau2[:, None])
    s1 = w.sum(axis=1)
    beta = w @ y / s1
    vb = 1.0 / s1
    hk = test == "knha"
    with np.errstate(divide="ignore", invalid="ignore"):
        if hk:
            resid = m * (y - beta[:, None])
            rss = (w * resid**2).sum(axis=1)
            # as heterogeneity.hartung_knapp_scale: a residue of rounding is no spread
            vb = vb * np.where(rss <= DOUBLE_EPS, 0.0, rss / df)
        se = np.sqrt(vb)
        stat = beta / se
    if test != "z":
        pval = 2 * t_sf(np.abs(stat), df)
        crit = t_isf((1 - level) / 2, df)
        dof = df.astype(float)
    else:
        pval = 2 * norm_sf(np.abs(stat))
        crit = np.full(len(m), z_crit(level))
        dof = np.full(len(m), np.nan)
    q, q_pvalue, i2, h2 = _heterogeneity(ymc, v, m, df, tau2, method)
    return {
        "k": k,
        "estimate": beta,
        "se": se,
        "statistic": stat,
        "pvalue": pval,
        "ci_low": beta - crit * se,
        "ci_high": beta + crit * se,
        "df": dof,
        "q": q,
        "q_pvalue": q_pvalue,
        "tau2": tau2,
        "i2": i2,
        "h2": h2,
    }, converged


def _weighted_q(ymc: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s1 = w.sum(axis=1)
    resid = ymc - ((w * ymc).sum(axis=1) / s1)[:, None]
    return (w * resid**2).sum(axis=1), s1


def _dersimonian_laird(ymc: np.ndarray, v: np.ndarray, m: np.ndarray, df: np.ndarray) -> np.ndarray:
    w = m / v
    q, s1 = _weighted_q(ymc, w)
    trace_p = s1 - (w * w).sum(axis=1) / s1
    return np.asarray(np.maximum(0.0, (q - df) / trace_p))


def _hedges(ymc: np.ndarray, v: np.ndarray, m: np.ndarray, k: np.ndarray) -> np.ndarray:
    # residual sum of squares about the plain mean, minus tr(PV); not truncated
    rss = (ymc * ymc).sum(axis=1)
    sum_v = (m * v).sum(axis=1)
    return np.asarray((rss - (sum_v - sum_v / k)) / (k - 1))


def _moment_estimate(
    method: str, ymc: np.ndarray, v: np.ndarray, m: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """HE, SJ, HS and HSK as heterogeneity's closed forms, row-wise (intercept only)."""
    if method == "HE":
        return np.asarray(np.maximum(0.0, _hedges(ymc, v, m, k)))
    if method == "SJ":
        tau0 = (ymc * ymc).sum(axis=1) / k
        q, _ = _weighted_q(ymc, m / (v + tau0[:, None]))
        return np.asarray(np.maximum(0.0, tau0 * q / (k - 1)))
    q, s1 = _weighted_q(ymc, m / v)
    if method == "HSK":
        q = k / (k - 1) * q
    return np.asarray(np.maximum(0.0, (q - k) / s1))


def _heterogeneity(
    ymc: np.ndarray, v: np.ndarray, m: np.ndarray, df: np.ndarray, tau2: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    w = m / v
    q, s1 = _weighted_q(ymc, w)
    q = np.asarray(np.maximum(0.0, q))
    q_pvalue = np.asarray(chi2_sf(q, df))
    if method == "FE":
        with np.errstate(divide="ignore", invalid="ignore"):
            i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - df) / q), 0.0)
        return q, q_pvalue, i2, np.asarray(q / df)
    typical = df / (s1 - (w * w).sum(axis=1) / s1)
    return q, q_pvalue, np.asarray(100 * tau2 / (typical + tau2)), np.asarray(tau2 / typical + 1)


def _fisher(
    method: str,
    ymc: np.ndarray,
    v: np.ndarray,
    m: np.ndarray,
    k: np.ndarray,
    con: Mapping[str, Any],
) -> tuple[np.ndarray, np.ndarray]:
    """metafor's Fisher scoring for REML, ML and EB (see
    heterogeneity.estimators._fisher_scoring_intercept), row-wise."""
    threshold, maxiter = float(con["threshold"]), int(con["maxiter"])
    stepadj = float(con["stepadj"])
    tau2 = np.maximum(0.0, _hedges(ymc, v, m, k))
    converged = np.zeros(len(m), dtype=bool)
    active = np.arange(len(m))
    iterations = 0
    while active.size:
        iterations += 1
        ma, ya, t, ka = m[active], ymc[active], tau2[active], k[active]
        w = ma / (v + t[:, None])
        s1 = w.sum(axis=1)
        resid = ya - ((w * ya).sum(axis=1) / s1)[:, None]
        py = w * resid
        w2 = w * w
        s2 = w2.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            if method == "REML":
                s3 = (w2 * w).sum(axis=1)
                trace_p = s1 - s2 / s1
                trace_pp = s2 - 2 * s3 / s1 + (s2 / s1) ** 2
                step = ((py * py).sum(axis=1) - trace_p) / trace_pp
            elif method == "ML":
                step = ((py * py).sum(axis=1) - s1) / s2
            else:  # EB
                step = ((py * resid).sum(axis=1) * ka / (ka - 1) - ka) / s1
        step = np.where(np.isfinite(step), step * stepadj, 0.0)
        while (negative := t + step < 0).any():
            step = np.where(negative, step / 2, step)
        new = t + step
        tau2[active] = new
        if iterations > maxiter:
            break
        settled = np.abs(t - new) <= threshold
        converged[active[settled]] = True
        active = active[~settled]
    if con["ll0check"] and method != "EB":
        check = converged & (tau2 > con["threshold"])
        if check.any():
            rows = np.flatnonzero(check)
            restricted = method == "REML"
            zero = np.zeros(rows.size)
            ll0 = _loglik(ymc[rows], v, m[rows], k[rows], zero, restricted)
            ll = _loglik(ymc[rows], v, m[rows], k[rows], tau2[rows], restricted)
            tau2[rows[ll0 - ll > con["tol"]]] = 0.0
    return np.maximum(0.0, tau2), converged


def _loglik(
    ymc: np.ndarray,
    v: np.ndarray,
    m: np.ndarray,
    k: np.ndarray,
    tau2: np.ndarray,
    restricted: bool,
) -> np.ndarray:
    """The restricted (REML) or full (ML) log-likelihood, row-wise."""
    total = v + tau2[:, None]
    w = m / total
    rss, s1 = _weighted_q(ymc, w)
    log_total = (m * np.log(total)).sum(axis=1)
    if not restricted:
        return np.asarray(-0.5 * k * np.log(2 * np.pi) - 0.5 * log_total - 0.5 * rss)
    return np.asarray(
        -0.5 * (k - 1) * np.log(2 * np.pi) - 0.5 * log_total - 0.5 * np.log(s1) - 0.5 * rss
    )
