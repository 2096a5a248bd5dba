"""The generalised Q estimator (metafor's ``method="GENQ"``), its weights and its
standard error."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..errors import AnalysisInputError
from ._common import Tau2Estimate
from ._wls import _centered, _prepare, _trace_p, _trace_pd, _trace_pdpd, wls


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
