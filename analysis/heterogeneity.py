"""Between-study variance (tau^2) estimators and heterogeneity statistics.

Everything follows ``metafor::rma.uni`` (version 4.x) so that reported
numbers agree with it, including the iteration and stopping rules:

* ``DL``   DerSimonian-Laird: ``(Q - (k-p)) / tr(P)`` with fixed-effect weights,
           truncated at 0.
* ``PM``   Paule-Mandel: root of ``Q(tau^2) = k - p`` found with R's
           ``uniroot`` on ``[0, max(100, 10 mad(y)^2)]`` at metafor's default
           tolerance ``.Machine$double.eps^0.25``; 0 when ``Q(0) < k - p``.
* ``REML`` Fisher scoring started at the Hedges estimate (truncated at 0),
           step ``(y'PPy - tr P) / tr(PP)`` with step halving to stay >= 0,
           stopping when the change is below ``threshold`` (1e-5); then
           metafor's check that the restricted likelihood is not larger at
           tau^2 = 0.  Hence tau^2 is identical to metafor's, not just close.
* ``ML``   the same Fisher scoring on the full likelihood, step
           ``(y'PPy - sum w) / sum w^2``, and the same check at tau^2 = 0.
* ``EB``   empirical Bayes (Morris): the same iteration with step
           ``(y'Py k/(k-p) - k) / sum w``, no check at tau^2 = 0.
* ``HE``   Hedges: ``(y'P0y - tr(P0 V)) / (k - p)`` with ordinary least squares
           (``P0 = I - X(X'X)^-1X'``), truncated at 0; also ML, REML and EB's start.
* ``SJ``   Sidik-Jonkman: ``tau0 y'Py / (k - p)`` with weights ``1/(v + tau0)`` and
           ``tau0`` the variance of ``y`` with divisor ``k`` (metafor's ``tau2.0``).
* ``HS``   Hunter-Schmidt: ``(Q - k) / sum w``; ``HSK`` (metafor ``"HSk"``)
           ``(Q k/(k-p) - k) / sum w``; both truncated at 0.

* ``GENQ`` the generalised Q estimator (DerSimonian and Kacker 2007; Jackson et al.):
           ``(y'Py - tr(PV)) / tr(P)`` with ``P = A - AX(X'AX)^-1X'A`` for weights
           ``A = diag(a)`` chosen by the analyst (metafor's ``weights``; by default
           ``1/sqrt(v)``), truncated at 0.  ``a = 1/v`` gives DL and ``a = 1`` gives HE.
           The model pools with the same weights (see :func:`analysis.pooling.meta_analysis`).

``Tau2Estimate.se`` is metafor's ``se.tau2`` for each estimator (the formula
differs by method; see :func:`tau2_standard_error`).

Heterogeneity statistics (metafor definitions):

* ``Q``  Cochran's Q with fixed-effect weights ``1/vi``; p from chi^2(k-p).
* ``I2`` for random-effects models ``100 tau^2 / (tau^2 + s^2)`` where the
  "typical" within-study variance is ``s^2 = (k-p) / tr(P)``,
  ``P = W - W X (X'WX)^-1 X'W``, ``W = diag(1/vi)`` (for the intercept-only
  model ``tr(P) = sum(w) - sum(w^2)/sum(w)``); ``H2 = tau^2/s^2 + 1``.
  For fixed-effect models ``I2 = max(0, 100 (Q - (k-p)) / Q)`` and
  ``H2 = Q / (k-p)``.  (For DL both definitions coincide.)

All formulas use ``O(k p^2)`` operations (no ``k x k`` matrices), so tens of
thousands of studies are cheap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._distributions import chi2_isf, chi2_ppf, chi2_sf
from ._rootfind import DOUBLE_EPS, R_DEFAULT_TOL, uniroot
from .errors import AnalysisInputError, ConvergenceError
from .vocabulary import Method

TAU2_METHODS = tuple(m for m in Method if m.estimates_tau2)
FIXED_METHODS = (Method.FE,)

DEFAULT_CONTROL: dict[str, Any] = {
    "threshold": 1e-5,  # REML convergence threshold on the change in tau^2
    "maxiter": 100,  # REML iterations / PM uniroot iterations
    "tol": R_DEFAULT_TOL,  # PM uniroot tolerance; also the REML ll0 check tolerance
    "ll0check": True,  # REML: compare with the restricted likelihood at tau^2 = 0
    "stepadj": 1.0,  # REML: step length factor of Fisher scoring (metafor stepadj)
    "stepadj_retries": 3,  # REML: on non-convergence retry with stepadj halved this often
    "tau2_max": None,  # PM upper bracket; None -> max(100, 10 * mad(y)^2) as metafor
}


def resolve_control(control: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(DEFAULT_CONTROL)
    for key, value in (control or {}).items():
        if key not in DEFAULT_CONTROL:
            raise AnalysisInputError(
                f"unknown control option {key!r}; expected {', '.join(DEFAULT_CONTROL)}",
                field="control",
            )
        merged[key] = value
    return merged


@dataclass(frozen=True)
class Tau2Estimate:
    tau2: float
    method: str
    iterations: int = 0
    converged: bool = True
    notes: tuple[str, ...] = ()
    #: metafor's ``se.tau2``; None where metafor gives NA (fixed effect, one study)
    se: float | None = None


@dataclass(frozen=True)
class Heterogeneity:
    q: float
    q_df: int
    q_pvalue: float
    i2: float
    h2: float
    tau2: float
    typical_variance: float = field(default=float("nan"))

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))


# ---------------------------------------------------------------------------
# weighted least squares pieces


def design(k: int, mods: ArrayLike | None = None) -> np.ndarray:
    """Intercept plus optional moderators as a ``k x p`` float matrix."""
    if mods is None:
        return np.ones((k, 1))
    m = np.asarray(mods, dtype=float)
    if m.ndim == 1:
        m = m[:, None]
    return np.column_stack([np.ones(k), m])


def _is_intercept_only(X: np.ndarray) -> bool:
    return X.shape[1] == 1 and bool(np.all(X[:, 0] == 1.0))


def _prepare(
    y: ArrayLike, v: ArrayLike, X: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    X = design(len(y)) if X is None else np.asarray(X, dtype=float)
    return y, v, X


def _centered(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    # metafor mean-centres y for tau^2 computations; P annihilates the intercept,
    # so this changes nothing mathematically but matches its rounding
    if np.any(np.all(X == 1.0, axis=0)):
        return np.asarray(y - y.mean(), dtype=float)
    return y


def wls(y: np.ndarray, w: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients, ``(X'WX)^-1`` and residuals of a weighted least-squares fit."""
    if _is_intercept_only(X):
        sw = w.sum()
        beta = np.array([np.dot(w, y) / sw])
        return beta, np.array([[1.0 / sw]]), y - beta[0]
    xtw = X.T * w
    inv = np.linalg.inv(xtw @ X)
    beta = inv @ (xtw @ y)
    return beta, inv, y - X @ beta


def _others(x: np.ndarray) -> np.ndarray:
    """For each i the sum of every x_j but x_i, summed from both ends rather than as
    ``sum(x) - x_i``, which rounds to nothing when x_i dwarfs the rest."""
    before = np.concatenate(([0.0], np.cumsum(x[:-1])))
    after = np.concatenate((np.cumsum(x[:0:-1])[::-1], [0.0]))
    return before + after


# With an intercept alone P = W - w w'/sum(w): P_ii = w_i r_i / s and P_ij = -w_i w_j / s,
# with r_i the sum of the other weights. The traces below are written as sums of those
# non-negative terms. The general expansions subtract numbers as large as the largest
# weight squared, so one study with a tiny sampling variance (weights 1e8 apart) leaves
# them zero or negative.


def _intercept_trace_pd(w: np.ndarray, d: np.ndarray | None) -> float:
    """``tr(P D)`` with an intercept alone (``D = I`` for None)."""
    terms = w * _others(w)
    return float((terms.sum() if d is None else np.dot(terms, d)) / w.sum())


def _intercept_trace_pdpd(w: np.ndarray, d1: np.ndarray | None, d2: np.ndarray | None) -> float:
    """``tr(P D1 P D2)`` with an intercept alone (``I`` for None):
    ``sum_i P_ii^2 d1_i d2_i + sum_(i != j) w_i^2 w_j^2 d1_j d2_i / s^2``."""
    one = np.ones_like(w)
    d1 = one if d1 is None else d1
    d2 = one if d2 is None else d2
    w2 = w * w
    diagonal = (w * _others(w)) ** 2 * d1 * d2
    off = w2 * d2 * _others(w2 * d1)
    return float((np.sum(diagonal) + np.sum(off)) / w.sum() ** 2)


def _trace_p(w: np.ndarray, X: np.ndarray, inv: np.ndarray) -> float:
    if _is_intercept_only(X):
        return _intercept_trace_pd(w, None)
    # tr(P) = sum(w) - tr((X'WX)^-1 X'W^2 X)
    xw2x = (X.T * w**2) @ X
    return float(w.sum() - np.trace(inv @ xw2x))


def _trace_pp(w: np.ndarray, X: np.ndarray, inv: np.ndarray) -> float:
    if _is_intercept_only(X):
        return _intercept_trace_pdpd(w, None, None)
    # tr(PP) = sum(w^2) - 2 tr(A X'W^3X) + tr(A X'W^2X A X'W^2X),  A = (X'WX)^-1
    xw2x = (X.T * w**2) @ X
    xw3x = (X.T * w**3) @ X
    a2 = inv @ xw2x
    return float((w**2).sum() - 2 * np.trace(inv @ xw3x) + np.trace(a2 @ a2))


def _trace_pd(w: np.ndarray, X: np.ndarray, inv: np.ndarray, d: np.ndarray) -> float:
    if _is_intercept_only(X):
        return _intercept_trace_pd(w, d)
    # tr(P D) = sum(w d) - tr(A X' diag(w^2 d) X) for a diagonal D
    return float(np.dot(w, d) - np.trace(inv @ ((X.T * (w**2 * d)) @ X)))


def _trace_pdpd(
    w: np.ndarray, X: np.ndarray, inv: np.ndarray, d1: np.ndarray, d2: np.ndarray
) -> float:
    """``tr(P D1 P D2)`` for diagonal ``D1``, ``D2`` without forming ``P`` (k x k):
    ``sum(w^2 d1 d2) - 2 tr(A X'diag(w^3 d1 d2)X) + tr(A X'diag(w^2 d1)X A X'diag(w^2 d2)X)``
    with ``A = (X'WX)^-1``.  ``tr(PP)``, metafor's ``sum(P * P)``, is ``d1 = d2 = 1``;
    ``sum(PV * t(PV))`` is ``d1 = d2 = v``; ``sum(PV * P)`` is ``d1 = 1, d2 = v``."""
    if _is_intercept_only(X):
        return _intercept_trace_pdpd(w, d1, d2)
    a1 = inv @ ((X.T * (w**2 * d1)) @ X)
    a2 = inv @ ((X.T * (w**2 * d2)) @ X)
    w3 = inv @ ((X.T * (w**3 * d1 * d2)) @ X)
    return float(np.sum(w**2 * d1 * d2) - 2 * np.trace(w3) + np.trace(a1 @ a2))


def cochran_q(yi: ArrayLike, vi: ArrayLike, X: np.ndarray | None = None) -> float:
    """Cochran's Q (residual heterogeneity with fixed-effect weights)."""
    y, v, X = _prepare(yi, vi, X)
    w = 1.0 / v
    _, _, resid = wls(_centered(y, X), w, X)
    return max(0.0, float(np.dot(w, resid**2)))


# ---------------------------------------------------------------------------
# estimators


def tau2_dersimonian_laird(
    yi: ArrayLike, vi: ArrayLike, X: np.ndarray | None = None
) -> Tau2Estimate:
    y, v, X = _prepare(yi, vi, X)
    k, p = X.shape
    w = 1.0 / v
    _, inv, resid = wls(_centered(y, X), w, X)
    q = float(np.dot(w, resid**2))
    tau2 = (q - (k - p)) / _trace_p(w, X, inv)
    return Tau2Estimate(max(0.0, tau2), "DL")


def tau2_hedges(yi: ArrayLike, vi: ArrayLike, X: np.ndarray | None = None) -> float:
    """Hedges' (unweighted method-of-moments) estimate, *not* truncated at 0."""
    y, v, X = _prepare(yi, vi, X)
    k, p = X.shape
    _, inv, resid = wls(_centered(y, X), np.ones(k), X)
    rss = float(np.dot(resid, resid))
    # tr(PV) with P = I - X (X'X)^-1 X'
    tr_pv = float(v.sum() - np.trace(inv @ ((X.T * v) @ X)))
    return float((rss - tr_pv) / (k - p))


def _r_mad(y: np.ndarray) -> float:
    # R's mad() uses the constant 1.4826 exactly
    return 1.4826 * float(np.median(np.abs(y - np.median(y))))


def tau2_paule_mandel(
    yi: ArrayLike,
    vi: ArrayLike,
    X: np.ndarray | None = None,
    *,
    control: Mapping[str, Any] | None = None,
) -> Tau2Estimate:
    con = resolve_control(control)
    y, v, X = _prepare(yi, vi, X)
    k, p = X.shape
    ymc = _centered(y, X)
    target = k - p

    def generalised_q(tau2: float) -> float:
        w = 1.0 / (v + tau2)
        _, _, resid = wls(ymc, w, X)
        return float(np.dot(w, resid**2)) - float(target)

    if generalised_q(0.0) < 0:
        return Tau2Estimate(0.0, "PM", notes=("Q(0) < k - p, so tau^2 = 0.",))
    tau2_max = con["tau2_max"]
    if tau2_max is None:
        tau2_max = max(100.0, 10 * _r_mad(y) ** 2)
    if generalised_q(tau2_max) > 0:
        raise ConvergenceError(
            f"Paule-Mandel: tau^2 exceeds the search bound {tau2_max:g}; raise control['tau2_max']"
        )
    root = uniroot(generalised_q, 0.0, tau2_max, tol=con["tol"], maxiter=con["maxiter"])
    if not root.converged:
        raise ConvergenceError("Paule-Mandel root search did not converge")
    return Tau2Estimate(max(0.0, root.root), "PM", iterations=root.iterations)


def tau2_hedges_estimator(
    yi: ArrayLike, vi: ArrayLike, X: np.ndarray | None = None
) -> Tau2Estimate:
    """Hedges' estimator (metafor ``method="HE"``): :func:`tau2_hedges` truncated at 0."""
    return Tau2Estimate(max(0.0, tau2_hedges(yi, vi, X)), "HE")


def tau2_sidik_jonkman(yi: ArrayLike, vi: ArrayLike, X: np.ndarray | None = None) -> Tau2Estimate:
    """Sidik-Jonkman: one weighted step from ``tau0 = var(y) (k-1)/k`` (metafor
    ``tau2.0``); never negative, and 0 only when every ``y`` is the same."""
    y, v, X = _prepare(yi, vi, X)
    k, p = X.shape
    ymc = _centered(y, X)
    tau0 = float(np.mean((y - y.mean()) ** 2))
    w = 1.0 / (v + tau0)
    _, _, resid = wls(ymc, w, X)
    rss = float(np.dot(w, resid**2))
    return Tau2Estimate(max(0.0, tau0 * rss / (k - p)), "SJ")


def tau2_generalised_q(
    yi: ArrayLike, vi: ArrayLike, weights: ArrayLike, X: np.ndarray | None = None
) -> Tau2Estimate:
    """metafor's ``method="GENQ"`` with ``weights``, and its ``se.tau2``:
    ``sqrt(2 tr(PVPV) + 4 tau^2 tr(PVP) + 2 tau^4 tr(PP)) / tr(P)``."""
    y, v, X = _prepare(yi, vi, X)
    a = check_genq_weights(weights, len(y))
    k, p = X.shape
    if k - p < 1:
        raise AnalysisInputError(
            f"the generalised Q estimator needs more studies than coefficients (k={k}, p={p})",
            field="k",
        )
    _, inv, resid = wls(_centered(y, X), a, X)
    trp = _trace_p(a, X, inv)
    tau2 = max(0.0, (float(np.dot(a, resid**2)) - _trace_pd(a, X, inv, v)) / trp)
    return Tau2Estimate(tau2, "GENQ", se=_genq_se(a, v, X, inv, tau2))


def _genq_se(a: np.ndarray, v: np.ndarray, X: np.ndarray, inv: np.ndarray, tau2: float) -> float:
    ones = np.ones(len(v))
    inner = (
        2 * _trace_pdpd(a, X, inv, v, v)
        + 4 * tau2 * _trace_pdpd(a, X, inv, ones, v)
        + 2 * tau2**2 * _trace_pdpd(a, X, inv, ones, ones)
    )
    return float(np.sqrt(max(inner, 0.0)) / _trace_p(a, X, inv))


def jackson_weights(vi: ArrayLike) -> np.ndarray:
    """The generalised Q estimator's weights when the analyst gives none: ``1/sqrt(vi)``,
    between DerSimonian-Laird's ``1/vi`` and Hedges' equal weights (Jackson, Turner,
    Rhodes and Viechtbauer 2014), so the sub-analyses of a run (leave-one-out, subgroups,
    influence) weight every subset the same way."""
    return np.asarray(1.0 / np.sqrt(np.asarray(vi, dtype=float)), dtype=float)


def check_genq_weights(weights: ArrayLike | None, k: int) -> np.ndarray:
    """The analyst's weights of the generalised Q estimator: one positive, finite number
    per study."""
    if weights is None:
        raise AnalysisInputError(
            "the generalised Q estimator (GENQ) needs a weight for each study", field="weights"
        )
    a = np.asarray(weights, dtype=float).ravel()
    if a.shape != (k,):
        raise AnalysisInputError(
            f"GENQ needs one weight per study ({k}), got {a.size}", field="weights"
        )
    bad = ~(np.isfinite(a) & (a > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise AnalysisInputError(
            f"a GENQ weight must be a positive number (got {a[i]:g})",
            study=f"study {i + 1}",
            field="weights",
        )
    return a


def tau2_hunter_schmidt(
    yi: ArrayLike, vi: ArrayLike, X: np.ndarray | None = None, *, small_sample: bool = False
) -> Tau2Estimate:
    """Hunter-Schmidt ``(Q - k) / sum w``; ``small_sample`` scales Q by ``k/(k-p)``
    first (metafor ``"HSk"``)."""
    y, v, X = _prepare(yi, vi, X)
    k, p = X.shape
    w = 1.0 / v
    _, _, resid = wls(_centered(y, X), w, X)
    q = float(np.dot(w, resid**2))
    if small_sample:
        q = k / (k - p) * q
    return Tau2Estimate(max(0.0, (q - k) / w.sum()), "HSK" if small_sample else "HS")


def _ml_loglik(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float) -> float:
    k = X.shape[0]
    w = 1.0 / (v + tau2)
    _, _, resid = wls(y, w, X)
    rss = float(np.dot(w, resid**2))
    return float(-0.5 * k * np.log(2 * np.pi) - 0.5 * np.log(v + tau2).sum() - 0.5 * rss)


def _reml_loglik(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float) -> float:
    k, p = X.shape
    w = 1.0 / (v + tau2)
    _, inv, resid = wls(y, w, X)
    rss = float(np.dot(w, resid**2))
    _, logdet_xwx = np.linalg.slogdet(np.linalg.inv(inv))
    return float(
        -0.5 * (k - p) * np.log(2 * np.pi)
        - 0.5 * np.log(v + tau2).sum()
        - 0.5 * logdet_xwx
        - 0.5 * rss
    )


def tau2_reml(
    yi: ArrayLike,
    vi: ArrayLike,
    X: np.ndarray | None = None,
    *,
    control: Mapping[str, Any] | None = None,
) -> Tau2Estimate:
    """REML by metafor's Fisher scoring.

    Full Fisher-scoring steps can oscillate without converging (metafor then
    stops with an error and suggests ``control=list(stepadj=0.5)``).  We apply
    that documented remedy automatically, halving ``stepadj`` up to
    ``stepadj_retries`` times, and say so in the notes so that the same
    numbers can be reproduced in metafor.
    """
    return _fisher_estimate("REML", yi, vi, X, control)


def tau2_ml(
    yi: ArrayLike,
    vi: ArrayLike,
    X: np.ndarray | None = None,
    *,
    control: Mapping[str, Any] | None = None,
) -> Tau2Estimate:
    """Maximum likelihood by metafor's Fisher scoring (as :func:`tau2_reml`)."""
    return _fisher_estimate("ML", yi, vi, X, control)


def tau2_empirical_bayes(
    yi: ArrayLike,
    vi: ArrayLike,
    X: np.ndarray | None = None,
    *,
    control: Mapping[str, Any] | None = None,
) -> Tau2Estimate:
    """Empirical Bayes (Morris) by metafor's iteration (as :func:`tau2_reml`)."""
    return _fisher_estimate("EB", yi, vi, X, control)


_FISHER_NAMES = {"REML": "REML Fisher scoring", "ML": "ML Fisher scoring", "EB": "Empirical Bayes"}


def _fisher_estimate(
    method: str,
    yi: ArrayLike,
    vi: ArrayLike,
    X: np.ndarray | None,
    control: Mapping[str, Any] | None,
) -> Tau2Estimate:
    con = resolve_control(control)
    y, v, X = _prepare(yi, vi, X)
    ymc = _centered(y, X)
    stepadj = float(con["stepadj"])
    name = _FISHER_NAMES[method]
    for attempt in range(int(con["stepadj_retries"]) + 1):
        tau2, iterations, converged = _fisher_scoring(method, ymc, v, X, con, stepadj)
        if converged:
            break
        if attempt < con["stepadj_retries"]:
            stepadj /= 2
    else:
        raise ConvergenceError(
            f"{name} did not converge in {con['maxiter']} iterations (down to step "
            f"adjustment {stepadj:g}); raise control['maxiter'] or use another tau^2 estimator"
        )
    notes: list[str] = []
    if stepadj != con["stepadj"]:
        notes.append(
            f"{name} oscillated with full steps; converged with step "
            f"adjustment {stepadj:g} (metafor: control=list(stepadj={stepadj:g}))."
        )
    if method != "EB" and con["ll0check"] and tau2 > con["threshold"]:
        loglik = _reml_loglik if method == "REML" else _ml_loglik
        ll0 = loglik(ymc, v, X, 0.0)
        ll = loglik(ymc, v, X, tau2)
        if ll0 - ll > con["tol"]:
            notes.append(f"{name} stopped at a local maximum; tau^2 set to 0 (as metafor).")
            tau2 = 0.0
    return Tau2Estimate(max(0.0, tau2), method, iterations=iterations, notes=tuple(notes))


def _fisher_scoring(
    method: str,
    ymc: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    con: Mapping[str, Any],
    stepadj: float,
) -> tuple[float, int, bool]:
    if _is_intercept_only(X):
        return _fisher_scoring_intercept(method, ymc, v, con, stepadj)
    return _fisher_scoring_general(method, ymc, v, X, con, stepadj)


def _fisher_scoring_intercept(
    method: str, ymc: np.ndarray, v: np.ndarray, con: Mapping[str, Any], stepadj: float
) -> tuple[float, int, bool]:
    """The same iteration as :func:`_fisher_scoring_general` for ``X = 1``, with the traces
    of ``P`` as sums of non-negative terms (see :func:`_intercept_trace_pdpd`).  No
    ``k x p`` temporaries: several times faster for many studies, and equal to the
    general path within rounding (tested to 1e-10)."""
    k = len(ymc)
    tau2 = max(0.0, tau2_hedges(ymc, v))
    threshold, maxiter = con["threshold"], con["maxiter"]
    change = threshold + 1
    iterations = 0
    w = np.empty(k)
    while change > threshold:
        iterations += 1
        old = tau2
        np.add(v, tau2, out=w)
        np.reciprocal(w, out=w)
        s1 = w.sum()
        resid = ymc - np.dot(w, ymc) / s1
        py = w * resid
        if method == "REML":
            trace_p = _intercept_trace_pd(w, None)
            trace_pp = _intercept_trace_pdpd(w, None, None)
            step = (float(np.dot(py, py)) - trace_p) / trace_pp
        elif method == "ML":
            step = (float(np.dot(py, py)) - s1) / float(np.dot(w, w))
        else:  # EB
            step = (float(np.dot(py, resid)) * k / (k - 1) - k) / s1
        step = step * stepadj if np.isfinite(step) else 0.0
        while tau2 + step < 0:
            step /= 2
        tau2 = tau2 + step
        change = abs(old - tau2)
        if iterations > maxiter:
            return tau2, iterations, False
    return tau2, iterations, True


def _fisher_scoring_general(
    method: str,
    ymc: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    con: Mapping[str, Any],
    stepadj: float,
) -> tuple[float, int, bool]:
    k, p = X.shape
    tau2 = max(0.0, tau2_hedges(ymc, v, X))
    change = con["threshold"] + 1
    iterations = 0
    while change > con["threshold"]:
        iterations += 1
        old = tau2
        w = 1.0 / (v + tau2)
        _, inv, resid = wls(ymc, w, X)
        py = w * resid
        if method == "REML":
            step = (float(np.dot(py, py)) - _trace_p(w, X, inv)) / _trace_pp(w, X, inv)
        elif method == "ML":
            step = (float(np.dot(py, py)) - float(w.sum())) / float(np.dot(w, w))
        else:  # EB
            step = (float(np.dot(py, resid)) * k / (k - p) - k) / float(w.sum())
        step = step * stepadj if np.isfinite(step) else 0.0
        while tau2 + step < 0:
            step /= 2
        tau2 = tau2 + step
        change = abs(old - tau2)
        if iterations > con["maxiter"]:
            return tau2, iterations, False
    return tau2, iterations, True


def tau2_standard_error(
    method: str, yi: ArrayLike, vi: ArrayLike, tau2: float, X: np.ndarray | None = None
) -> float | None:
    """metafor's ``se.tau2`` of ``method``'s estimate ``tau2``; None for FE (NA there),
    and None where sampling variances that differ by many orders of magnitude leave the
    traces of ``P`` to rounding (the variance of the estimate comes out zero or
    negative; metafor warns there that results may not be stable)."""
    try:
        with np.errstate(divide="raise", invalid="raise", over="raise"):
            se = _tau2_standard_error(method, yi, vi, tau2, X)
    except (FloatingPointError, ZeroDivisionError):
        return None
    return se if se is None or math.isfinite(se) else None


def _tau2_standard_error(
    method: str, yi: ArrayLike, vi: ArrayLike, tau2: float, X: np.ndarray | None
) -> float | None:
    """The standard error by method's own formula.

    Moment estimators (DL, HE, SJ, HS, HSK): the variance of their quadratic form in
    ``y``, ``2 tr(PMPM)`` with ``M = V + tau^2 I``, expanded as metafor writes it;
    ML and REML: the inverse Fisher information ``2 / sum w^2`` and ``2 / tr(PP)``;
    PM and EB: ``2 k^2 / ((k-p) (sum w)^2)``.
    """
    method = method.upper()
    y, v, X = _prepare(yi, vi, X)
    k, p = X.shape
    df = k - p
    t = max(0.0, tau2)
    ones = np.ones(k)
    if method == "FE" or df < 1:
        return None
    if method in ("DL", "HS", "HSK"):
        w = 1.0 / v
        _, inv, _ = wls(y, w, X)
        trp = _trace_p(w, X, inv)
        inner = 2 * df + 4 * t * trp + 2 * t**2 * _trace_pdpd(w, X, inv, ones, ones)
        if method == "DL":
            return float(np.sqrt(inner / trp**2))
        se = float(np.sqrt(inner / w.sum() ** 2))
        return k / df * se if method == "HSK" else se
    if method == "HE":
        w = ones
        _, inv, _ = wls(y, w, X)
        trpv = _trace_pd(w, X, inv, v)
        inner = 2 * _trace_pdpd(w, X, inv, v, v) + 4 * t * trpv + 2 * t**2 * df
        return float(np.sqrt(inner / df**2))
    if method == "SJ":
        tau0 = float(np.mean((y - y.mean()) ** 2))
        w = 1.0 / (v + tau0)
        _, inv, _ = wls(y, w, X)
        inner = (
            2 * _trace_pdpd(w, X, inv, v, v)
            + 4 * t * _trace_pdpd(w, X, inv, ones, v)
            + 2 * t**2 * _trace_pdpd(w, X, inv, ones, ones)
        )
        return float(np.sqrt(tau0**2 / df**2 * inner))
    w = 1.0 / (v + t)
    if method == "ML":
        return float(np.sqrt(2 / np.dot(w, w)))
    if method == "REML":
        _, inv, _ = wls(y, w, X)
        return float(np.sqrt(2 / _trace_pp(w, X, inv)))
    if method in ("PM", "EB"):
        return float(np.sqrt(2 * k**2 / df / w.sum() ** 2))
    if method == "GENQ":
        a = jackson_weights(v)
        _, inv, _ = wls(y, a, X)
        return _genq_se(a, v, X, inv, t)
    raise AnalysisInputError(f"unknown tau^2 estimator {method!r}", field="method")


def estimate_tau2(
    method: str,
    yi: ArrayLike,
    vi: ArrayLike,
    X: np.ndarray | None = None,
    *,
    control: Mapping[str, Any] | None = None,
) -> Tau2Estimate:
    """tau^2 by ``method`` (``FE`` gives 0); one study always gives 0, as in metafor."""
    method = method.upper()
    y, v, X = _prepare(yi, vi, X)
    if method == "FE" or len(y) == 1:
        return Tau2Estimate(0.0, method)
    estimators: dict[str, Any] = {
        "DL": lambda: tau2_dersimonian_laird(y, v, X),
        "PM": lambda: tau2_paule_mandel(y, v, X, control=control),
        "REML": lambda: tau2_reml(y, v, X, control=control),
        "ML": lambda: tau2_ml(y, v, X, control=control),
        "EB": lambda: tau2_empirical_bayes(y, v, X, control=control),
        "HE": lambda: tau2_hedges_estimator(y, v, X),
        "SJ": lambda: tau2_sidik_jonkman(y, v, X),
        "HS": lambda: tau2_hunter_schmidt(y, v, X),
        "HSK": lambda: tau2_hunter_schmidt(y, v, X, small_sample=True),
    }
    if method == "GENQ":
        return tau2_generalised_q(y, v, jackson_weights(v), X)
    if method in estimators:
        est: Tau2Estimate = estimators[method]()
        tau2 = float(est.tau2)
        return replace(est, tau2=tau2, se=tau2_standard_error(method, y, v, tau2, X))
    raise AnalysisInputError(
        f"unknown tau^2 estimator {method!r}; "
        f"expected one of {', '.join(FIXED_METHODS + TAU2_METHODS)}",
        field="method",
    )


# ---------------------------------------------------------------------------
# statistics


def heterogeneity(
    yi: ArrayLike, vi: ArrayLike, tau2: float, *, method: str, X: np.ndarray | None = None
) -> Heterogeneity:
    """Q, its p-value, I^2 (percent) and H^2 with metafor's definitions."""
    y, v, X = _prepare(yi, vi, X)
    k, p = X.shape
    df = k - p
    if df < 1:
        return Heterogeneity(q=0.0, q_df=0, q_pvalue=1.0, i2=0.0, h2=1.0, tau2=tau2)
    w = 1.0 / v
    _, inv, resid = wls(_centered(y, X), w, X)
    q = max(0.0, float(np.dot(w, resid**2)))
    q_p = float(chi2_sf(q, df))
    typical = df / _trace_p(w, X, inv)
    if method.upper() == "FE":
        # (Q - df) / Q is -inf for Q = 0; metafor truncates that at 0 as well
        i2 = max(0.0, 100 * (q - df) / q) if q > 0 else 0.0
        h2 = q / df
    else:
        i2 = float(100 * tau2 / (typical + tau2))
        h2 = float(tau2 / typical + 1)
    return Heterogeneity(
        q=q, q_df=df, q_pvalue=q_p, i2=i2, h2=h2, tau2=tau2, typical_variance=typical
    )


def hartung_knapp_scale(resid: np.ndarray, w: np.ndarray, df: int) -> float:
    """Knapp-Hartung (HKSJ) variance scale ``sum w r^2 / (k - p)`` (metafor ``test="knha"``).

    Like metafor, the factor is not truncated at 1 and is 0 when all
    residuals vanish.
    """
    rss = float(np.dot(w, resid**2))
    return 0.0 if rss <= DOUBLE_EPS else rss / df


# ---------------------------------------------------------------------------
# confidence intervals for tau^2, I^2 and H^2


@dataclass(frozen=True)
class HeterogeneityCI:
    """Q-profile interval for tau^2 (Viechtbauer 2007; metafor ``confint(rma)``) and the
    I^2 (percent) and H^2 intervals obtained by transforming its bounds with the same
    typical within-study variance as the point estimates."""

    level: float
    tau2_low: float
    tau2_high: float
    i2_low: float
    i2_high: float
    h2_low: float
    h2_high: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "Q-profile",
            "level": self.level,
            "tau2": [self.tau2_low, self.tau2_high],
            "tau": [float(np.sqrt(self.tau2_low)), float(np.sqrt(self.tau2_high))],
            "i2": [self.i2_low, self.i2_high],
            "h2": [self.h2_low, self.h2_high],
            "notes": list(self.notes),
        }


def generalised_q(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float) -> float:
    """``sum w (y - X b)^2`` with ``w = 1/(v + tau2)``: chi^2 on k - p df at the true tau^2,
    and decreasing in tau^2, hence the Q-profile interval."""
    w = 1.0 / (v + tau2)
    _, _, resid = wls(y, w, X)
    return float(np.dot(w, resid**2))


def tau2_confint(
    yi: ArrayLike,
    vi: ArrayLike,
    X: np.ndarray | None = None,
    *,
    tau2: float,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
) -> HeterogeneityCI | None:
    """Q-profile confidence interval, as metafor's ``confint.rma.uni`` computes it.

    The bounds solve ``Q(tau^2) = chi^2_{k-p}`` quantiles (upper quantile for the
    lower bound) with R's ``uniroot`` at metafor's tolerance
    (``.Machine$double.eps^0.25``) on ``[0, max(100, 10 tau^2)]``, so they match
    metafor's printed digits; a bound is 0 when ``Q(0)`` is already below its
    quantile.  ``None`` for fewer than ``p + 1`` studies.  ``tau2`` is the point
    estimate (it sets the search range and the I^2/H^2 transformation).
    """
    con = resolve_control(control)
    y, v, X = _prepare(yi, vi, X)
    k, p = X.shape
    df = k - p
    if df < 1:
        return None
    ymc = _centered(y, X)
    alpha = 1 - level
    upper_q, lower_q = chi2_isf(alpha / 2, df), chi2_ppf(alpha / 2, df)
    tau2_max = max(100.0, 10 * tau2)
    notes = []
    intercept_only = _is_intercept_only(X)
    w = np.empty(k)

    def q(t: float) -> float:
        if not intercept_only:
            return generalised_q(ymc, v, X, t)
        np.add(v, t, out=w)
        np.reciprocal(w, out=w)
        resid = ymc - np.dot(w, ymc) / w.sum()
        return float(np.dot(w, resid * resid))

    def bound(target: float, which: str) -> float:
        def f(t: float) -> float:
            return q(t) - target

        if f(0.0) < 0:
            return 0.0
        if f(tau2_max) > 0:
            notes.append(
                f"the {which} bound of tau^2 exceeds {tau2_max:g}; it is reported as "
                f"that search limit (metafor: control=list(tau2.max=...))."
            )
            return tau2_max
        root = uniroot(f, 0.0, tau2_max, tol=con["tol"], maxiter=1000)
        if not root.converged:
            raise ConvergenceError(f"Q-profile: the {which} bound of tau^2 did not converge")
        return max(0.0, root.root)

    low = bound(upper_q, "lower")
    high = bound(lower_q, "upper")
    w = 1.0 / v
    _, inv, _ = wls(ymc, w, X)
    typical = df / _trace_p(w, X, inv)
    return HeterogeneityCI(
        level=level,
        tau2_low=low,
        tau2_high=high,
        i2_low=float(100 * low / (typical + low)),
        i2_high=float(100 * high / (typical + high)),
        h2_low=float(low / typical + 1),
        h2_high=float(high / typical + 1),
        notes=tuple(notes),
    )
