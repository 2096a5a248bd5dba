"""metafor's standard error of tau^2 (``se.tau2``), by each estimator's own formula."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ..errors import AnalysisInputError
from ._wls import _prepare, _trace_p, _trace_pd, _trace_pdpd, _trace_pp, wls
from .genq import _genq_se, jackson_weights


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
