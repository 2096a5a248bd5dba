"""Q-profile confidence intervals for tau^2, I^2 and H^2 (metafor's ``confint.rma.uni``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._distributions import chi2_isf, chi2_ppf
from .._rootfind import uniroot
from ..errors import ConvergenceError
from ._common import resolve_control
from ._wls import _centered, _is_intercept_only, _prepare, _trace_p, wls


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
