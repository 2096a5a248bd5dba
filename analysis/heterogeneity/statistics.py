"""Heterogeneity statistics (metafor definitions):

* ``Q``  Cochran's Q with fixed-effect weights ``1/vi``; p from chi^2(k-p).
* ``I2`` for random-effects models ``100 tau^2 / (tau^2 + s^2)`` where the
  "typical" within-study variance is ``s^2 = (k-p) / tr(P)``,
  ``P = W - W X (X'WX)^-1 X'W``, ``W = diag(1/vi)`` (for the intercept-only
  model ``tr(P) = sum(w) - sum(w^2)/sum(w)``); ``H2 = tau^2/s^2 + 1``.
  For fixed-effect models ``I2 = max(0, 100 (Q - (k-p)) / Q)`` and
  ``H2 = Q / (k-p)``.  (For DL both definitions coincide.)

The Knapp-Hartung variance scale of the pooled estimate is read from the same weighted
residual sum of squares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .._distributions import chi2_sf
from .._rootfind import DOUBLE_EPS
from ._wls import _centered, _prepare, _trace_p, wls


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


def cochran_q(yi: ArrayLike, vi: ArrayLike, X: np.ndarray | None = None) -> float:
    """Cochran's Q (residual heterogeneity with fixed-effect weights)."""
    y, v, X = _prepare(yi, vi, X)
    w = 1.0 / v
    _, _, resid = wls(_centered(y, X), w, X)
    return max(0.0, float(np.dot(w, resid**2)))


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
